// Command openapidoc prints the OpenAPI document the server serves at
// /api/v1/openapi.json, for tools that lint it or generate clients from it
// (scripts/openapi-check.sh).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"grassroots/internal/api"
)

func main() {
	doc, err := api.Document()
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapidoc:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		fmt.Fprintln(os.Stderr, "openapidoc:", err)
		os.Exit(1)
	}
}
