// Package report holds the reports read from the case engine's tables and
// the exports a clerk opens in Excel: the daily collection and feedback
// lists (每日一收集、每日一反馈) with their stored summaries, the departments'
// report card (部门考评) with the whistle rate, and the workbooks of the
// inbox, the coordination lists, the daily lists and the report card. It
// reads the flows' declarations through casework's public API (which
// figures a flow's parts count towards, the names of its states, actions
// and kinds) and knows no flow by name.
package report

import (
	"time"

	"grassroots/internal/casework"
	"grassroots/internal/i18n"
	"grassroots/internal/store"
)

// Service computes the reports.
type Service struct {
	db    *store.DB
	cases *casework.Service
	names names
}

// New returns the reports over db, with the flows registered in cases.
func New(db *store.DB, cases *casework.Service) *Service {
	return &Service{db: db, cases: cases, names: names{cases: cases, msgs: i18n.MustLoad()}}
}

// cst is Asia/Shanghai (UTC+8 all year), fixed so that no time-zone
// database is needed.
var cst = time.FixedZone("CST", 8*3600)

// names turns the engine's codes into the names a clerk reads, in the
// default language, from the flows' declarations and the message
// catalogue: an export shows 12345热线 and 已答复, never hotline and answered.
type names struct {
	cases *casework.Service
	msgs  *i18n.Catalog
}

func (n names) t(key string) string { return n.msgs.T(i18n.Default, key) }

// code names a code of a list the catalogue holds under prefix
// ("case.priority."), or returns the code itself when it has none.
func (n names) code(prefix, code string) string {
	if code == "" || !n.msgs.Has(i18n.Default, prefix+code) {
		return code
	}
	return n.t(prefix + code)
}

func (n names) flowOf(name string) *casework.Flow {
	if n.cases == nil {
		return nil
	}
	f, _ := n.cases.Flow(name)
	return f
}

// flow is a flow's display name.
func (n names) flow(name string) string {
	if f := n.flowOf(name); f != nil {
		return n.t(f.LabelKey())
	}
	return n.code("case.flow.", name)
}

// status is a case status's name in its flow.
func (n names) status(flow, status string) string {
	if f := n.flowOf(flow); f != nil && f.HasState(status) {
		return n.t(f.StateKey(status))
	}
	return n.code("case.status.", status)
}

// action is an action's name in its flow (the timeline's intake is
// "receive", which no flow declares).
func (n names) action(flow, action string) string {
	if f := n.flowOf(flow); f != nil {
		if spec, ok := f.Action(action); ok {
			return n.t(spec.LabelKey())
		}
	}
	return n.code("case.action.", action)
}

// kind is a case kind's name in its flow ("" for a flow without kinds).
func (n names) kind(flow, kind string) string {
	if f := n.flowOf(flow); f != nil {
		if key := f.KindKey(kind); key != "" {
			return n.t(key)
		}
		return ""
	}
	return kind
}
