package casework

// The Chinese names of statuses, actions and attachment stages, for the
// messages the engine returns. The UI reads the same names from the message
// catalogue (locales/*/cases.json: case.status.*, case.action.*).
var (
	statusNames = map[string]string{
		"received": "已受理", "dispatched": "已派单", "in_hand": "办理中", "returned": "已退回", "answered": "已答复",
		"unresolved": "回访未解决", "closed": "已办结", "reported": "已上报", "registered": "已立案", "handled": "已处置",
		"dismissed": "不予立案", "to_sign": "待签收", "done": "已完成",
	}
	actionNames = map[string]string{
		"receive": "受理", "dispatch": "派单", "sign": "签收", "sign_support": "协办签收", "return": "退回",
		"request_extension": "申请延期", "approve_extension": "同意延期", "refuse_extension": "不同意延期",
		"add_supporting": "增加协办单位", "support_done": "协办完成", "supervise": "督办", "comment": "备注",
		"answer": "答复", "revisit": "回访", "reopen": "重办", "close": "办结", "fix_on_spot": "即办",
		"register": "立案", "dismiss": "不予立案", "report_handled": "处置反馈", "check": "核查",
		"warn": "临期预警", "overdue": "超期", "escalate": "升级督办", "attach": "上传附件", "resident_rate": "群众评价",
	}
	stageNames = map[string]string{"before": "处置前", "after": "处置后", "evidence": "证据", "material": "材料"}
)

func statusName(s string) string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return s
}

func actionName(s string) string {
	if n, ok := actionNames[s]; ok {
		return n
	}
	return s
}

func stageName(s string) string {
	if n, ok := stageNames[s]; ok {
		return n
	}
	return s
}
