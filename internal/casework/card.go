package casework

// CardFigure is a figure of the departments' report card (部门考评) that a
// county department's part in a case counts towards. A flow declares its
// figures (Flow.Card); the report card reads them and knows no flow by name.
type CardFigure string

// The report card's figures.
const (
	// CardWhistles counts the part as a whistle summons (吹哨报到); the
	// whistle rate counts the flow's cases as whistles blown.
	CardWhistles CardFigure = "whistles"
	// CardCalls counts the part as a township call (乡呼县应).
	CardCalls CardFigure = "township_calls"
	// CardTransfers counts the part as an enforcement transfer (执法移送).
	CardTransfers CardFigure = "enforcement"
	// CardReportIn times the report-in, from summons to reported_at.
	CardReportIn CardFigure = "report_in"
	// CardRefusals counts a refused part (status refused).
	CardRefusals CardFigure = "refusals"
	// CardReturns counts a part returned or taken away (returned_at).
	CardReturns CardFigure = "returns"
)
