package i18n

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"

	"grassroots/internal/store"
)

// The English catalogue of domain errors (store.UserError), gettext style:
// the Chinese message (or format) a domain package writes is the id, so call
// sites stay readable and a Chinese user reads exactly what was written.
//
//go:embed locales/errors.en.json
var errorsEN []byte

var errorCatalog = mustErrors()

func mustErrors() map[string]string {
	var m map[string]string
	if err := json.Unmarshal(errorsEN, &m); err != nil {
		panic(fmt.Errorf("locales/errors.en.json: %w", err))
	}
	return m
}

// Error returns ue's message in lang: the English translation when lang is
// "en" and the id is known, else the Chinese message.
func Error(lang string, ue *store.UserError) string {
	if lang != "en" {
		return ue.Message
	}
	en, ok := errorCatalog[ue.MsgID()]
	if !ok {
		return ue.Message
	}
	if ue.Format != "" {
		return fmt.Sprintf(en, ue.Args...)
	}
	return en
}

// UserMessage is store.UserMessage in lang.
func UserMessage(lang string, err error) (string, bool) {
	var ue *store.UserError
	if errors.As(err, &ue) {
		return Error(lang, ue), true
	}
	return "", false
}
