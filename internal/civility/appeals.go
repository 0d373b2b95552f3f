package civility

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// Appeal opens the appeal against a noticed entry: a case of the flow
// civility_appeal at the person's community, whose timeline, deadlines and
// audit the case engine keeps. Staff of the person's community or
// township receive one at the counter; the person appeals on the portal
// with their card (AppealByCard). Only within the appeal window.
func (s *Service) Appeal(ctx context.Context, actor access.Actor, entryID int64, reason string) (Entry, error) {
	e, err := s.entry(ctx, entryID)
	if err != nil {
		return Entry{}, err
	}
	if !staffFor(actor, e.UnitPath, reviewers...) {
		return Entry{}, store.Forbidden("申诉由当事人在门户提出，或由其所在社区、乡镇的工作人员代为受理")
	}
	return s.openAppeal(ctx, actor, e, reason)
}

func (s *Service) openAppeal(ctx context.Context, actor access.Actor, e Entry, reason string) (Entry, error) {
	reason = clean(reason)
	switch {
	case s.cases == nil:
		return Entry{}, errors.New("civility appeal: no case engine")
	case reason == "":
		return Entry{}, store.Invalid("请写明申诉理由")
	case utf8.RuneCountInString(reason) > 2000:
		return Entry{}, store.Invalid("申诉理由不能超过2000字")
	case e.Status == StatusAppealed:
		return Entry{}, store.Conflict("该记录已在申诉复核中")
	case e.AppealCaseNo != "":
		return Entry{}, store.Conflict("该记录已申诉并复核，不能重复申诉")
	case e.Status != StatusNoticed:
		return Entry{}, store.Conflictf("该记录当前为“%s”，不能申诉", StatusText(e.Status))
	case !s.now().Before(e.WindowEndsAt):
		return Entry{}, store.Conflictf("申诉期已于%s结束", e.WindowEndsAt.Format("2006-01-02 15:04"))
	}
	var unitCode string
	if err := s.db.QueryRow(ctx, `SELECT u.code FROM civility_entries e JOIN units u ON u.id = e.unit_id WHERE e.id = ?`, e.ID).Scan(&unitCode); err != nil {
		return Entry{}, fmt.Errorf("appeal of entry %d: %w", e.ID, err)
	}
	_, _, err := s.cases.Create(ctx, actor, casework.NewCase{Flow: AppealFlow, Title: "对文明行为记录" + e.NoticeNo + "的申诉",
		Body: reason, PlaceUnit: unitCode, Source: appealSource, ExternalID: "entry-" + strconv.FormatInt(e.ID, 10),
		ReporterName: e.PersonName})
	if err != nil {
		return Entry{}, err
	}
	return s.entry(ctx, e.ID)
}

// onCaseChange ties appeals to entries, inside each change's transaction:
// an appeal case is received only for an entry in its window; a decision
// is refused when taken by the entry's recorder or one of its reviewers
// (someone who did not decide the entry reviews it), and is applied to the
// entry: upheld (the entry takes effect when its window has closed),
// revised (to another, no heavier item: field "item", revisedItem; then as
// upheld), withdrawn.
func (s *Service) onCaseChange(ctx context.Context, tx *store.Tx, ch casework.Change) error {
	if ch.Flow != AppealFlow {
		return nil
	}
	entryID := appealEntryID(ch.Source, ch.ExternalID)
	if entryID == 0 {
		return store.Invalid("文明行为记录的申诉须从该记录（门户或记录页面）提出")
	}
	e, err := loadEntry(ctx, tx, entryID)
	if err != nil {
		return err
	}
	var userID int64
	var actorName string
	if err := tx.QueryRow(ctx, `SELECT COALESCE(user_id, 0), actor_name FROM case_events WHERE id = ?`, ch.EventID).Scan(&userID, &actorName); err != nil {
		return fmt.Errorf("appeal event %d: %w", ch.EventID, err)
	}
	actor := access.Actor{UserID: userID, Name: actorName}
	switch ch.Action {
	case "receive":
		if e.Status != StatusNoticed || e.AppealCaseNo != "" || !ch.At.Before(e.WindowEndsAt) {
			return store.Conflict("只有申诉期内的已告知记录可以申诉")
		}
		if _, err := tx.Exec(ctx, `UPDATE civility_entries SET status = ?, appeal_case_id = ? WHERE id = ?`, StatusAppealed, ch.CaseID, e.ID); err != nil {
			return fmt.Errorf("appeal of entry %d: %w", e.ID, err)
		}
		return history(ctx, tx, e.ID, "appealed", actor, ch.Note, ch.At)
	case "uphold", "revise", "withdraw":
	default:
		return nil
	}
	if userID != 0 {
		if userID == e.RecorderID {
			return store.Forbidden("申诉须由未参与该记录的人复核：登记人不能复核")
		}
		for _, r := range e.Reviews {
			if r.UserID == userID {
				return store.Forbidden("申诉须由未参与该记录的人复核：审核人不能复核")
			}
		}
	}
	if e.Status != StatusAppealed {
		return store.Conflict("该记录不在申诉复核中")
	}
	switch ch.Action {
	case "uphold":
		if _, err := tx.Exec(ctx, `UPDATE civility_entries SET status = ? WHERE id = ?`, StatusNoticed, e.ID); err != nil {
			return err
		}
		if err := history(ctx, tx, e.ID, "appeal_upheld", actor, ch.Note, ch.At); err != nil {
			return err
		}
		if !ch.At.Before(e.WindowEndsAt) {
			e.Status = StatusNoticed
			if err := s.takeEffect(ctx, tx, e.ID, actor, ch.At); err != nil {
				return err
			}
		}
	case "revise":
		to, err := revisedItem(ctx, tx, ch.EventID, e)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE civility_entries SET status = ?, item_id = ?, points = ? WHERE id = ?`, StatusNoticed, to.ID, to.Points, e.ID); err != nil {
			return fmt.Errorf("revise entry %d: %w", e.ID, err)
		}
		// The history keeps both items: the one decided and the revision.
		note := fmt.Sprintf("由“%s”变更为“%s”：%s", itemLabel(e.Item), itemLabel(to), ch.Note)
		if err := history(ctx, tx, e.ID, "appeal_revised", actor, note, ch.At); err != nil {
			return err
		}
		if !ch.At.Before(e.WindowEndsAt) {
			if err := s.takeEffect(ctx, tx, e.ID, actor, ch.At); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "civility.appeal.revise", Entity: "civility_entry", EntityID: strconv.FormatInt(e.ID, 10),
			Before: map[string]any{"item": e.Item.Code, "version": e.Item.Version, "points": e.Points},
			After:  map[string]any{"item": to.Code, "version": to.Version, "points": to.Points, "note": ch.Note}})
	case "withdraw":
		if err := setStatus(ctx, tx, e.ID, StatusWithdrawn, ch.Note, ch.At); err != nil {
			return err
		}
		if err := history(ctx, tx, e.ID, "appeal_withdrawn", actor, ch.Note, ch.At); err != nil {
			return err
		}
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "civility.appeal." + ch.Action, Entity: "civility_entry",
		EntityID: strconv.FormatInt(e.ID, 10), After: map[string]any{"note": ch.Note}})
}

// revisedItem is the catalogue item a revision names (the decision's field
// "item"), checked against the entry: one of the items RevisionItems
// offers.
func revisedItem(ctx context.Context, tx *store.Tx, eventID int64, e Entry) (Item, error) {
	var data string
	if err := tx.QueryRow(ctx, `SELECT data_json FROM case_events WHERE id = ?`, eventID).Scan(&data); err != nil {
		return Item{}, fmt.Errorf("revision event %d: %w", eventID, err)
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(data), &fields); err != nil {
		return Item{}, fmt.Errorf("revision event %d: %w", eventID, err)
	}
	code, _ := fields["item"].(string)
	if code = clean(code); code == "" {
		return Item{}, store.Invalid("变更须选择变更后的条目；维持原记录请选“维持”")
	}
	it, err := currentItem(ctx, tx, code)
	if err != nil {
		return Item{}, err
	}
	return it, revisable(e, it)
}

// revisable says whether an appeal may revise entry e to item to: another
// negative item of the catalogue, no heavier than the one decided (no more
// points, no longer validity; a review on the person's own appeal does not
// make things worse for them), and a legal violation only from one.
func revisable(e Entry, to Item) error {
	switch {
	case to.Code == e.Item.Code:
		return store.Invalid("变更须选择另一条目；维持原记录请选“维持”")
	case to.Kind != Negative:
		return store.Invalid("申诉复核只能变更为另一负面条目；不应记录的请选“撤销”")
	case to.LegalViolation && !e.Item.LegalViolation:
		return store.Invalid("申诉复核不能把记录变更为违法记录")
	case to.Points > e.Item.Points || to.ValidityDays > e.Item.ValidityDays:
		return store.Invalidf("申诉复核不能加重：变更后的条目分值不能高于%d分，有效期不能长于%d天", e.Item.Points, e.Item.ValidityDays)
	}
	return nil
}

// RevisionItems are the items an appeal against the entry may revise it to
// (revisable), lightest first.
func (s *Service) RevisionItems(ctx context.Context, entryID int64) ([]Item, error) {
	e, err := s.entry(ctx, entryID)
	if err != nil {
		return nil, err
	}
	items, err := s.Items(ctx)
	if err != nil {
		return nil, err
	}
	var out []Item
	for _, it := range items {
		if revisable(e, it) == nil {
			out = append(out, it)
		}
	}
	slices.SortStableFunc(out, func(a, b Item) int {
		return cmp.Or(cmp.Compare(a.Points, b.Points), cmp.Compare(a.ValidityDays, b.ValidityDays))
	})
	return out, nil
}

// revisionOptions offers the appeal case page the items of RevisionItems
// (casework.OfferFieldOptions, field "item" of the appeal flow).
func (s *Service) revisionOptions(ctx context.Context, _ access.Actor, c casework.Case) ([]casework.FieldOption, error) {
	id := appealEntryID(c.Source, c.ExternalID)
	if id == 0 {
		return nil, nil
	}
	items, err := s.RevisionItems(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]casework.FieldOption, 0, len(items))
	for _, it := range items {
		out = append(out, casework.FieldOption{Value: it.Code, Label: fmt.Sprintf("%s（%s分，有效期%d天）", itemLabel(it), it.PointsText(), it.ValidityDays)})
	}
	return out, nil
}

// appealEntryID is the entry an appeal case of this package is about (its
// external id "entry-<id>"), 0 for any other case.
func appealEntryID(source, externalID string) int64 {
	if source != appealSource {
		return 0
	}
	rest, ok := strings.CutPrefix(externalID, "entry-")
	if !ok {
		return 0
	}
	id, _ := strconv.ParseInt(rest, 10, 64)
	return id
}

// itemLabel names an item version as the history and the forms show it.
func itemLabel(it Item) string {
	return it.Code + " " + it.Name
}
