package stats

import (
	"slices"
	"strings"
)

// FigureName is a figure's message key (stats.json), Chinese name and the
// counts of its numerator and denominator (figureNames or partNames; a sum
// is written "a+b"), by which its cases are listed. ID is its short name,
// by which a flow declares the figures it shows (casework.Flow.Figures).
type FigureName struct {
	Key, Name, Num, Den string
	ID                  string
}

// figureTable is every figure a flow may show, with where UnitRates keeps
// it. The first ten are the 12345 rates and their companions; the rest are
// the other flows' own: the same counts under the name a flow gives them
// (a grid event's revisit is its on-site check), and the figures judged
// part by part (a whistle's summoned parties, a township call's rating).
var figureTable = []struct {
	FigureName
	get func(UnitRates) Figure
}{
	{FigureName{"stats.rate.response", "响应率", "responded", "dispatched", "response"}, func(r UnitRates) Figure { return r.Response }},
	{FigureName{"stats.rate.signing", "签收及时率", "signed", "dispatched", "signing"}, func(r UnitRates) Figure { return r.Signing }},
	{FigureName{"stats.rate.resolution", "解决率", "resolved", "revisited", "resolution"}, func(r UnitRates) Figure { return r.Resolution }},
	{FigureName{"stats.rate.first_resolved", "一次解决率", "first_resolved", "revisited", "first_resolved"}, func(r UnitRates) Figure { return r.FirstResolved }},
	{FigureName{"stats.rate.satisfaction", "满意率", "satisfied+basic", "satisfied+basic+unsatisfied", "satisfaction"}, func(r UnitRates) Figure { return r.Satisfaction }},
	{FigureName{"stats.rate.on_time", "按期办结率", "on_time", "answered", "on_time"}, func(r UnitRates) Figure { return r.OnTime }},
	{FigureName{"stats.rate.overdue", "超期率", "overdue", "dispatched", "overdue"}, func(r UnitRates) Figure { return r.Overdue }},
	{FigureName{"stats.rate.extension", "延期率", "extended", "dispatched", "extension"}, func(r UnitRates) Figure { return r.Extension }},
	{FigureName{"stats.rate.reopen", "重办率", "reopened", "revisited", "reopen"}, func(r UnitRates) Figure { return r.Reopen }},
	{FigureName{"stats.rate.on_spot", "即办件占比", "on_spot", "cases", "on_spot"}, func(r UnitRates) Figure { return r.OnSpot }},
	// A grid event's revisit is the grid worker's check on site.
	{FigureName{"stats.rate.checked", "核查解决率", "resolved", "revisited", "checked"}, func(r UnitRates) Figure { return r.Resolution }},
	// A township call is answered, and the township rates the answer
	// (resolved or not) in its revisit.
	{FigureName{"stats.rate.answered_on_time", "按期答复率", "on_time", "answered", "answered_on_time"}, func(r UnitRates) Figure { return r.OnTime }},
	{FigureName{"stats.rate.rated_resolved", "评价解决率", "resolved", "revisited", "rated_resolved"}, func(r UnitRates) Figure { return r.Resolution }},
	{FigureName{"stats.rate.rated", "评价率", "parts_rated", "parts_answered", "rated"}, func(r UnitRates) Figure { return deref(r.Rated) }},
	// A whistle's summoned parties report in and report their result,
	// which the whistler accepts or rejects.
	{FigureName{"stats.rate.report_in", "报到及时率", "parts_reported_in", "parts_summoned", "report_in"}, func(r UnitRates) Figure { return deref(r.ReportIn) }},
	{FigureName{"stats.rate.accepted", "验收通过率", "parts_accepted", "parts_results", "accepted"}, func(r UnitRates) Figure { return deref(r.Accepted) }},
}

func deref(f *Figure) Figure {
	if f == nil {
		return Figure{}
	}
	return *f
}

// hotlineFigures are the figures shown when a flow declares none: the
// 12345 rates and their companions.
const hotlineFigures = 10

// FigureNames lists the 12345 rates and their companions in display order
// (UnitRates.Figures gives their values in the same order).
func FigureNames() []FigureName {
	out := make([]FigureName, hotlineFigures)
	for i := range out {
		out[i] = figureTable[i].FigureName
	}
	return out
}

// FiguresOf lists the figures with the given IDs (a flow's declaration,
// casework.Flow.Figures), in that order; none gives FigureNames. Unknown
// IDs are left out.
func FiguresOf(ids []string) []FigureName {
	if len(ids) == 0 {
		return FigureNames()
	}
	var out []FigureName
	for _, id := range ids {
		for _, f := range figureTable {
			if f.ID == id {
				out = append(out, f.FigureName)
				break
			}
		}
	}
	return out
}

// FigureIDs are the IDs of every figure a flow may declare.
func FigureIDs() []string {
	out := make([]string, len(figureTable))
	for i, f := range figureTable {
		out[i] = f.ID
	}
	return out
}

// Figure returns the value of the figure with the given ID (zero when
// unknown).
func (r UnitRates) Figure(id string) Figure {
	for _, f := range figureTable {
		if f.ID == id {
			return f.get(r)
		}
	}
	return Figure{}
}

// FiguresFor returns the values of the named figures, in their order.
func (r UnitRates) FiguresFor(names []FigureName) []Figure {
	out := make([]Figure, len(names))
	for i, n := range names {
		out[i] = r.Figure(n.ID)
	}
	return out
}

// needsParts reports whether any of the figures is judged part by part.
func needsParts(names []FigureName) bool {
	return slices.ContainsFunc(names, func(n FigureName) bool {
		return strings.HasPrefix(n.Num, "parts_") || strings.HasPrefix(n.Den, "parts_")
	})
}

// CountOf is the value of a count as FigureNames name it (a count of
// Counts' or PartCounts' JSON, or a sum "satisfied+basic"), and whether
// every part of the name is known.
func (r UnitRates) CountOf(count string) (int, bool) {
	cs := countValues(r.Counts)
	if r.Parts != nil {
		for i, n := range partNames {
			cs[n] = *r.Parts.fields()[i]
		}
	}
	sum := 0
	for _, name := range strings.Split(count, "+") {
		v, ok := cs[name]
		if !ok {
			return 0, false
		}
		sum += v
	}
	return sum, true
}

func countValues(c Counts) map[string]int {
	out := make(map[string]int, len(figureNames))
	for i, n := range figureNames {
		out[n] = *c.fields()[i]
	}
	return out
}

// Figures returns the 12345 figures in FigureNames order.
func (r UnitRates) Figures() []Figure {
	return []Figure{r.Response, r.Signing, r.Resolution, r.FirstResolved, r.Satisfaction, r.OnTime, r.Overdue, r.Extension, r.Reopen, r.OnSpot}
}
