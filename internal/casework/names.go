package casework

// The Chinese names of statuses, actions and attachment stages, for the
// messages the engine returns. The UI reads the same names from the message
// catalogue (locales/*/cases.json: case.status.*, case.action.*).
var (
	statusNames = map[string]string{
		"received": "已受理", "dispatched": "已派单", "in_hand": "办理中", "returned": "已退回", "answered": "已答复",
		"unresolved": "回访未解决", "closed": "已办结", "reported": "已上报", "registered": "已立案", "handled": "已处置",
		"dismissed": "不予立案", "to_sign": "待签收", "done": "已完成",
		"blown": "已吹哨", "responding": "处置中", "cancelled": "已撤哨", "accepted": "已接收", "refused": "已拒绝",
		"supplement": "待补正", "approved": "准予办理", "delivered": "已出件",
		"raised": "已呼叫", "withdrawn": "已撤回", "handling": "办理中", "transferring": "移送中", "disputed": "移送争议",
	}
	actionNames = map[string]string{
		"receive": "受理", "dispatch": "派单", "sign": "签收", "sign_support": "协办签收", "return": "退回",
		"request_extension": "申请延期", "approve_extension": "同意延期", "refuse_extension": "不同意延期",
		"add_supporting": "增加协办单位", "support_done": "协办完成", "supervise": "督办", "comment": "备注",
		"answer": "答复", "revisit": "回访", "reopen": "重办", "close": "办结", "fix_on_spot": "即办",
		"register": "立案", "dismiss": "不予立案", "report_handled": "处置反馈", "check": "核查",
		"summon": "召集", "accept_summons": "接哨", "refuse_summons": "拒绝报到", "report_in": "报到", "report_result": "反馈结果",
		"accept_result": "验收评价", "reject_result": "退回继续处置", "cancel": "撤哨", "rate": "评价", "reassign": "改派", "withdraw": "撤回",
		"transfer": "移送", "accept_transfer": "接收移送", "return_transfer": "退回移送", "dispute": "提请裁决", "settle": "裁决",
		"conclude": "结案", "close_own": "自行结案",
		"ask_supplement": "要求补正", "give_supplement": "补正材料", "approve": "准予办理", "refuse": "不予办理", "deliver": "出件",
		"warn": "临期预警", "overdue": "超期", "escalate": "升级督办", "attach": "上传附件", "resident_rate": "群众评价",
	}
	stageNames = map[string]string{"before": "处置前", "after": "处置后", "evidence": "证据", "material": "材料"}
	// flowNames, requestTypeNames and priorityNames are for exports that a
	// clerk reads in Excel.
	flowNames = map[string]string{"hotline": "12345热线", "grid_event": "网格事件", "whistle": "吹哨报到",
		"township_call": "乡呼县应", "enforcement": "综合执法", "service": "便民服务"}
	requestTypeNames = map[string]string{"consult": "咨询", "help": "求助", "complaint": "投诉举报", "suggestion": "意见建议"}
	priorityNames    = map[string]string{"urgent": "紧急", "normal": "一般", "complex": "复杂"}
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

// nameOr returns names[code], or code itself when it has no name.
func nameOr(names map[string]string, code string) string {
	if n, ok := names[code]; ok {
		return n
	}
	return code
}
