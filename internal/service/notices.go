package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// Notice is a one-time notice (一次性告知书): every missing material, named
// once, printable.
type Notice struct {
	ID            int64      `json:"-"`
	No            string     `json:"no"`
	ItemCode      string     `json:"item_code"`
	ItemName      string     `json:"item_name"`
	SiteName      string     `json:"site_name"`
	SiteKind      string     `json:"site_kind"`
	SitePhone     string     `json:"site_phone,omitempty"`
	SiteAddress   string     `json:"site_address,omitempty"`
	SitePath      string     `json:"-"`
	WindowName    string     `json:"window_name,omitempty"`
	ApplicantName string     `json:"applicant_name"`
	PhoneLast4    string     `json:"phone_last4"`
	Missing       []Material `json:"missing"`
	Listed        []int64    `json:"-"`
	Note          string     `json:"note,omitempty"`
	IssuerName    string     `json:"issuer_name"`
	IssuedAt      time.Time  `json:"issued_at"`
	ApplicationNo string     `json:"application_no,omitempty"`
}

const noticeCols = `n.id, n.no, i.code, i.name, COALESCE(st.name, ''), COALESCE(st.kind, ''), COALESCE(st.phone, ''), COALESCE(st.address, ''), COALESCE(u.path, ''),
	COALESCE(w.name, ''), n.applicant_name, n.phone_last4, n.missing_json, n.listed_json, n.note, n.issuer_name, n.issued_at, COALESCE(c.no, '')`

const noticeFrom = ` FROM service_notices n JOIN service_items i ON i.id = n.item_id
	LEFT JOIN service_sites st ON st.id = n.site_id LEFT JOIN units u ON u.id = st.unit_id
	LEFT JOIN service_windows w ON w.id = n.window_id
	LEFT JOIN service_applications a ON a.id = n.application_id LEFT JOIN cases c ON c.id = a.case_id`

func scanNotice(sc interface{ Scan(...any) error }) (Notice, error) {
	var n Notice
	var missing, listed string
	var issued int64
	err := sc.Scan(&n.ID, &n.No, &n.ItemCode, &n.ItemName, &n.SiteName, &n.SiteKind, &n.SitePhone, &n.SiteAddress, &n.SitePath, &n.WindowName,
		&n.ApplicantName, &n.PhoneLast4, &missing, &listed, &n.Note, &n.IssuerName, &issued, &n.ApplicationNo)
	if err != nil {
		return n, err
	}
	n.IssuedAt = store.Time(issued).In(shanghai)
	if err := json.Unmarshal([]byte(missing), &n.Missing); err != nil {
		return n, fmt.Errorf("notice %s: %w", n.No, err)
	}
	if err := json.Unmarshal([]byte(listed), &n.Listed); err != nil {
		return n, fmt.Errorf("notice %s: %w", n.No, err)
	}
	return n, nil
}

// openNotices returns the notices of an applicant for an item that no
// application has followed yet, oldest first.
func (s *Service) openNotices(ctx context.Context, q store.Querier, itemID int64, phoneHash string) ([]Notice, error) {
	rows, err := q.Query(ctx, `SELECT `+noticeCols+noticeFrom+`
		WHERE n.item_id = ? AND n.phone_hash = ? AND n.application_id IS NULL ORDER BY n.id`, itemID, phoneHash)
	out, err := store.Collect(rows, err, scanNotice)
	if err != nil {
		return nil, fmt.Errorf("notices: %w", err)
	}
	return out, nil
}

// Notice returns the notice numbered no, to staff of its site's township (or
// the county).
func (s *Service) Notice(ctx context.Context, actor access.Actor, no string) (Notice, error) {
	if err := mustStaff(actor); err != nil {
		return Notice{}, err
	}
	n, err := scanNotice(s.db.QueryRow(ctx, `SELECT `+noticeCols+noticeFrom+` WHERE n.no = ?`, strings.TrimSpace(no)))
	if err != nil {
		if isNotFound(err) {
			return Notice{}, store.NotFoundf("找不到一次性告知书 %s", no)
		}
		return Notice{}, err
	}
	if !s.seesSite(ctx, actor, n.SitePath) {
		return Notice{}, store.NotFoundf("找不到一次性告知书 %s", no)
	}
	return n, nil
}

// seesSite reports whether actor may see the records of the site at path:
// county-wide users, and staff of the site's township or of the site.
func (s *Service) seesSite(ctx context.Context, actor access.Actor, path string) bool {
	if actor.CountyWide() || actor.SeesPath(path) {
		return true
	}
	t, ok, err := s.townshipAt(ctx, s.db, path)
	return err == nil && ok && actor.SeesPath(t.Path)
}

// RecentNotices lists the latest notices given at the actor's site.
func (s *Service) RecentNotices(ctx context.Context, actor access.Actor, limit int) ([]Notice, error) {
	if err := mustStaff(actor); err != nil {
		return nil, err
	}
	cond, args := actor.SubtreeFilter("u.path")
	rows, err := s.db.Query(ctx, `SELECT `+noticeCols+noticeFrom+` WHERE `+cond+` ORDER BY n.id DESC LIMIT ?`, append(args, limit)...)
	out, err := store.Collect(rows, err, scanNotice)
	if err != nil {
		return nil, fmt.Errorf("notices: %w", err)
	}
	return out, nil
}
