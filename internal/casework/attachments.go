package casework

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// MaxAttachment is the largest file accepted (10 MiB).
const MaxAttachment = 10 << 20

// allowedTypes are the sniffed content types accepted: photos and PDF. They
// are also the only types attachments are ever served with.
var allowedTypes = map[string]string{
	"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif", "application/pdf": ".pdf",
}

var attachmentStages = []string{"", "before", "after", "evidence", "material", "result"}

// sniff checks a file and returns the content type it will be stored and
// served with.
func sniff(name string, data []byte) (string, error) {
	if len(data) == 0 {
		return "", store.Invalidf("文件“%s”是空的", name)
	}
	if len(data) > MaxAttachment {
		return "", store.Invalidf("文件“%s”超过10MB", name)
	}
	ct := http.DetectContentType(data)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if _, ok := allowedTypes[ct]; !ok {
		return "", store.Invalidf("文件“%s”的类型（%s）不受支持，只接受JPEG、PNG、WebP、GIF图片和PDF", name, ct)
	}
	return ct, nil
}

// storeFiles checks files and writes them under AttachDir/YYYY/MM/<sha256>
// before the transaction that records them; the content-addressed name makes
// a write that is never recorded harmless and a repeated one free.
func (s *Service) storeFiles(in []NewAttachment) ([]stored, error) {
	var out []stored
	for _, f := range in {
		f.Name = cleanName(f.Name)
		f.Stage = strings.TrimSpace(f.Stage)
		if !contains(attachmentStages, f.Stage) {
			return nil, store.Invalidf("附件阶段“%s”无效（before、after、evidence、material、result）", f.Stage)
		}
		ct, err := sniff(f.Name, f.Data)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(f.Data)
		sha := hex.EncodeToString(sum[:])
		key := filepath.ToSlash(filepath.Join(s.now().In(shanghai).Format("2006/01"), sha))
		if err := s.writeFile(key, f.Data); err != nil {
			return nil, err
		}
		out = append(out, stored{NewAttachment: f, contentType: ct, sha: sha, key: key, size: int64(len(f.Data))})
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func cleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(strings.TrimSpace(name), "\\", "/"))
	if name == "." || name == "/" || name == "" {
		name = "附件"
	}
	if utf8.RuneCountInString(name) > 120 {
		name = string([]rune(name)[:120])
	}
	return name
}

func (s *Service) writeFile(key string, data []byte) error {
	if s.deps.AttachDir == "" {
		return errors.New("attachments folder not configured")
	}
	path := filepath.Join(s.deps.AttachDir, filepath.FromSlash(key))
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("attachments folder: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".upload-*")
	if err != nil {
		return fmt.Errorf("store attachment: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("store attachment: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("store attachment: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("store attachment: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("store attachment: %w", err)
	}
	return nil
}

func insertAttachment(ctx context.Context, tx *store.Tx, caseID, eventID, userID int64, f stored, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO attachments (case_id, event_id, name, content_type, size, sha256, storage_key, stage, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		caseID, store.NullID(eventID), f.Name, f.contentType, f.size, f.sha, f.key, f.Stage, store.NullID(userID), store.Millis(now)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("record attachment: %w", err)
	}
	return id, nil
}

// Attach stores a file with the case numbered no (at most 10 MiB; JPEG, PNG,
// WebP, GIF or PDF, by content), records an `attach` event and the audit
// entry. stage is "", before, after, evidence or material.
func (s *Service) Attach(ctx context.Context, actor access.Actor, no, name, contentType string, r io.Reader, stage string) (Attachment, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxAttachment+1))
	if err != nil {
		return Attachment{}, fmt.Errorf("read upload: %w", err)
	}
	files, err := s.storeFiles([]NewAttachment{{Name: name, ContentType: contentType, Data: data, Stage: stage}})
	if err != nil {
		return Attachment{}, err
	}
	var out Attachment
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		d, err := loadDetail(ctx, tx, false, "c.no = ?", strings.TrimSpace(no))
		if err != nil {
			if isNotFound(err) {
				return caseNotFound(no)
			}
			return err
		}
		if !CanSee(actor, &d) {
			return caseNotFound(no)
		}
		if d.Case.Closed() {
			return store.Conflict("工单已办结，不能再上传附件")
		}
		now := s.now()
		f := files[0]
		evID, err := insertEventID(ctx, tx, Event{CaseID: d.Case.ID, At: now, UserID: actor.UserID, ActorName: actorName(actor), ActorUnitID: actor.UnitID,
			Action: "attach", Note: f.Name, Data: map[string]any{"stage": f.Stage, "content_type": f.contentType}}, 0)
		if err != nil {
			return err
		}
		id, err := insertAttachment(ctx, tx, d.Case.ID, evID, actor.UserID, f, now)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE cases SET updated_at = ?, version = version + 1 WHERE id = ?`, store.Millis(now), d.Case.ID); err != nil {
			return err
		}
		out = Attachment{ID: id, CaseID: d.Case.ID, EventID: evID, Name: f.Name, ContentType: f.contentType, Size: f.size, SHA256: f.sha,
			StorageKey: f.key, Stage: f.Stage, CreatedBy: actor.UserID, CreatedAt: now.In(shanghai)}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "case.attach", Entity: "case", EntityID: d.Case.No,
			After: map[string]any{"attachment_id": id, "name": f.Name, "sha256": f.sha, "stage": f.Stage}})
	})
	return out, err
}

// OpenAttachment returns an attachment the actor may see and its content.
// The content type is the sniffed one stored at upload (an image or PDF),
// never an executable type; callers serve it with nosniff.
func (s *Service) OpenAttachment(ctx context.Context, actor access.Actor, id int64) (Attachment, io.ReadCloser, error) {
	var no string
	if err := s.db.QueryRow(ctx, `SELECT c.no FROM attachments a JOIN cases c ON c.id = a.case_id WHERE a.id = ?`, id).Scan(&no); err != nil {
		if isNotFound(err) {
			return Attachment{}, nil, store.NotFound("找不到该附件")
		}
		return Attachment{}, nil, err
	}
	d, err := loadDetail(ctx, s.db, false, "c.no = ?", no)
	if err != nil {
		return Attachment{}, nil, err
	}
	if !CanSee(actor, &d) {
		return Attachment{}, nil, store.NotFound("找不到该附件")
	}
	for _, a := range d.Attachments {
		if a.ID != id {
			continue
		}
		if _, ok := allowedTypes[a.ContentType]; !ok {
			a.ContentType = "application/octet-stream"
		}
		f, err := os.Open(filepath.Join(s.deps.AttachDir, filepath.FromSlash(a.StorageKey)))
		if err != nil {
			return a, nil, fmt.Errorf("open attachment %d: %w", id, err)
		}
		return a, f, nil
	}
	return Attachment{}, nil, store.NotFound("找不到该附件")
}

// photoTypes are the sniffed types a photo kept by another ledger (a good
// deed's evidence) may have.
var photoTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/webp": true}

// photoKey is the form of a storage key StorePhoto hands out.
var photoKey = regexp.MustCompile(`^[0-9]{4}/[0-9]{2}/[0-9a-f]{64}$`)

// StorePhoto checks a photo (JPEG, PNG or WebP by its content, at most 10
// MiB) and writes it in the attachments' store, the same content-addressed
// AttachDir/YYYY/MM/<sha256> files, returning its storage key for the
// ledger that keeps it (good deeds). Like storeFiles it writes before the
// caller's transaction, which is harmless when nothing records the key.
func (s *Service) StorePhoto(name string, data []byte) (string, error) {
	name = cleanName(name)
	ct, err := sniff(name, data)
	if err != nil {
		return "", err
	}
	if !photoTypes[ct] {
		return "", store.Invalidf("照片“%s”的类型（%s）不受支持，只接受JPEG、PNG、WebP图片", name, ct)
	}
	sum := sha256.Sum256(data)
	key := s.now().In(shanghai).Format("2006/01") + "/" + hex.EncodeToString(sum[:])
	if err := s.writeFile(key, data); err != nil {
		return "", err
	}
	return key, nil
}

// OpenPhoto opens a photo StorePhoto stored, with its content type (sniffed
// again, and only ever one of the photo types) and size. The caller checks
// that the actor may see the record that keeps the key.
func (s *Service) OpenPhoto(key string) (io.ReadCloser, string, int64, error) {
	if !photoKey.MatchString(key) || s.deps.AttachDir == "" {
		return nil, "", 0, store.NotFound("找不到该照片")
	}
	f, err := os.Open(filepath.Join(s.deps.AttachDir, filepath.FromSlash(key)))
	if err != nil {
		return nil, "", 0, fmt.Errorf("open photo %s: %w", key, err)
	}
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	ct := http.DetectContentType(head[:n])
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	st, err := f.Stat()
	if err != nil || !photoTypes[ct] {
		f.Close()
		return nil, "", 0, fmt.Errorf("photo %s: not a stored photo (%s)", key, ct)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, "", 0, fmt.Errorf("photo %s: %w", key, err)
	}
	return f, ct, st.Size(), nil
}
