import createClient from "openapi-fetch";
import type { paths, components } from "./schema";

const client = createClient<paths>({ baseUrl: "http://localhost:8080" });

// Only what a client must send: flow and priority have defaults.
const body: components["schemas"]["CaseNew"] = { title: "小区路灯不亮", request_type: "help", place_unit: "350722001001" };

export async function createCase(token: string): Promise<string> {
  const { data, error, response } = await client.POST("/api/v1/cases", {
    body,
    headers: { Authorization: `Bearer ${token}` },
  });
  if (error) {
    // Every declared error answer has the error schema.
    const code: string = error.error.code;
    throw new Error(`${response.status} ${code}: ${error.error.message}`);
  }
  return data.case.no;
}

// The same call with plain fetch and the generated types only.
type CreateCase = paths["/api/v1/cases"]["post"];
export async function createCasePlain(token: string): Promise<string> {
  const req: CreateCase["requestBody"]["content"]["application/json"] = { title: "井盖缺失", request_type: "complaint" };
  const res = await fetch("http://localhost:8080/api/v1/cases", {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(req),
  });
  if (res.status === 201) {
    const created = (await res.json()) as CreateCase["responses"][201]["content"]["application/json"];
    return created.case.no;
  }
  const err = (await res.json()) as CreateCase["responses"][400]["content"]["application/json"];
  throw new Error(err.error.code);
}
