package casework

import "grassroots/internal/i18n"

// The engine names statuses, actions and attachment stages in the messages
// it returns by their labels in the message catalogue (locales/*/cases.json,
// coord.json, service.json), the same labels the pages show; the keys come
// from the flow's declaration (Flow.StateKey, ActionSpec.LabelKey). Domain
// messages are written in the default language, Chinese.
var catalogue = i18n.MustLoad()

// label is the text of a message key in the default language.
func label(key string) string { return catalogue.T(i18n.Default, key) }

// stateLabel names status in flow f (nil: the generic key).
func stateLabel(f *Flow, status string) string {
	if f == nil {
		return label("case.status." + status)
	}
	return label(f.StateKey(status))
}

// actionLabel names the action.
func actionLabel(spec ActionSpec) string { return label(spec.LabelKey()) }

// stageLabel names an attachment stage ("after": 处置后).
func stageLabel(stage string) string { return label("case.stage." + stage) }
