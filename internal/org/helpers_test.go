package org

import (
	"context"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/pii"
	"grassroots/internal/store"
)

func testSealer(t testing.TB) *pii.Sealer {
	t.Helper()
	s, err := pii.New([]byte(strings.Repeat("k", pii.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// loaded returns a service over db with the shipped divisions loaded.
func loaded(t testing.TB, db *store.DB) *Service {
	t.Helper()
	s := NewService(db, testSealer(t))
	if _, err := s.LoadDivisions(context.Background()); err != nil {
		t.Fatalf("load divisions: %v", err)
	}
	return s
}

// actorAt builds a signed-in user at the unit with code, holding roles.
func actorAt(t testing.TB, s *Service, code string, roles ...access.Role) access.Actor {
	t.Helper()
	u, err := s.UnitByCode(context.Background(), access.System, code)
	if err != nil {
		t.Fatalf("unit %s: %v", code, err)
	}
	return access.Actor{UserID: 1, Username: "t_" + code, Name: "测试用户", UnitID: u.ID, UnitCode: u.Code,
		UnitName: u.Name, UnitKind: u.Kind, UnitPath: u.Path, Roles: roles}
}

func count(t testing.TB, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
