package volunteer

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/settings"
	"grassroots/internal/store"
)

// SettingPublicityDays is how many days a registered certificate is
// publicised (公示) before it can be issued.
const SettingPublicityDays = "volunteer.certificate_publicity_days"

// errNoKey is the answer of an instance started without the audit key.
var errNoKey = store.NotFound("本系统未配置签名密钥，不能签发或核验证明")

// PayloadPrefix starts every certificate payload (the QR code's text).
const PayloadPrefix = "GRV1."

// Stated is what a certificate states, and all a verification shows: the
// fields 民政部令第67号 names for a 志愿服务记录证明.
type Stated struct {
	No          string `json:"no"`           // certificate number
	VolunteerNo string `json:"volunteer_no"` // 志愿者编号
	Name        string `json:"name"`
	IDType      string `json:"id_type,omitempty"`
	IDMasked    string `json:"id_masked,omitempty"`
	From        string `json:"from"` // period, YYYY-MM-DD
	To          string `json:"to"`
	Minutes     int    `json:"minutes"`
	Times       int    `json:"times"`
	Content     string `json:"content"`
	Issuer      string `json:"issuer"`      // 出具单位
	Responsible string `json:"responsible"` // 负责人
	Clerk       string `json:"clerk"`       // 经办人
	Date        string `json:"date"`        // issue date, YYYY-MM-DD
}

// Hours is the stated time in hours, one decimal.
func (s Stated) Hours() string { return HoursText(s.Minutes) }

// Certificate is one row of the certificate ledger.
type Certificate struct {
	ID             int64     `json:"-"`
	PersonID       int64     `json:"person_id"`
	Stated         Stated    `json:"stated"`
	Status         string    `json:"status"` // publicised, issued or revoked
	PubliciseUntil time.Time `json:"publicise_until"`
	Payload        string    `json:"payload,omitempty"`
	RevokeReason   string    `json:"revoke_reason,omitempty"`
	issuerPath     string
}

// CertRequest asks for a certificate of a person's service over a period.
type CertRequest struct {
	From, To    string // YYYY-MM-DD, both inclusive
	Responsible string
	Clerk       string // the actor when empty
}

// RegisterCertificate enters a certificate in the ledger, publicised for
// the set days before it can be issued. The issuing body is the actor's
// unit: it certifies the service it (or units below it) organised, so only
// those entries count (谁组织、谁记录、谁出具).
func (s *Service) RegisterCertificate(ctx context.Context, actor access.Actor, personID int64, r CertRequest) (Certificate, error) {
	var c Certificate
	if actor.System || !organiser(actor, actor.UnitPath) || actor.UnitID == 0 {
		return c, store.Forbidden("只有社区或组织单位的工作人员可以出具志愿服务记录证明")
	}
	from, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(r.From), shanghai)
	if err != nil {
		return c, store.Invalid("请填写证明期间的开始日期（如 2026-01-01）")
	}
	to, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(r.To), shanghai)
	if err != nil {
		return c, store.Invalid("请填写证明期间的结束日期（如 2026-12-31）")
	}
	if to.Before(from) {
		return c, store.Invalid("证明期间的结束日期早于开始日期")
	}
	if clean(r.Responsible) == "" {
		return c, store.Invalid("请填写负责人")
	}
	clerk := clean(r.Clerk)
	if clerk == "" {
		clerk = actor.Recorded()
	}
	days, err := settings.Int(ctx, s.db, SettingPublicityDays, 7)
	if err != nil {
		return c, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		v, err := volunteerOf(ctx, tx, personID)
		if err != nil {
			return err
		}
		lo, hi := access.PathRange(actor.UnitPath)
		var organised int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM volunteer_entries WHERE volunteer_id = ? AND status = 'approved' AND org_path >= ? AND org_path < ?`,
			v.ID, lo, hi).Scan(&organised); err != nil {
			return fmt.Errorf("service organised: %w", err)
		}
		if organised == 0 {
			return store.Forbiddenf("本单位没有组织过%s的志愿服务，不能出具证明（谁组织、谁记录、谁出具）", v.Name)
		}
		var minutes, times int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(minutes), 0), COUNT(*) FROM volunteer_entries
			WHERE volunteer_id = ? AND status = 'approved' AND org_path >= ? AND org_path < ? AND started_at >= ? AND started_at < ?`,
			v.ID, lo, hi, store.Millis(from), store.Millis(to.AddDate(0, 0, 1))).Scan(&minutes, &times); err != nil {
			return fmt.Errorf("hours to certify: %w", err)
		}
		if times == 0 {
			return store.Invalidf("%s在该期间没有本单位组织的志愿服务记录", v.Name)
		}
		rows, err := tx.Query(ctx, `SELECT content FROM volunteer_entries WHERE volunteer_id = ? AND status = 'approved'
			AND org_path >= ? AND org_path < ? AND started_at >= ? AND started_at < ? GROUP BY content ORDER BY COUNT(*) DESC, content LIMIT 5`,
			v.ID, lo, hi, store.Millis(from), store.Millis(to.AddDate(0, 0, 1)))
		contents, err := store.Collect(rows, err, func(sc store.Scanner) (string, error) {
			var s string
			return s, sc.Scan(&s)
		})
		if err != nil {
			return fmt.Errorf("contents to certify: %w", err)
		}
		now := s.now()
		c = Certificate{PersonID: personID, Status: "publicised", PubliciseUntil: now.AddDate(0, 0, days).In(shanghai), Stated: Stated{
			VolunteerNo: v.No, Name: v.Name, IDType: v.IDType, IDMasked: v.IDMasked,
			From: from.Format("2006-01-02"), To: to.Format("2006-01-02"), Minutes: minutes, Times: times,
			Content: strings.Join(contents, "、"), Issuer: actor.UnitName, Responsible: clean(r.Responsible), Clerk: clerk,
		}}
		if c.Stated.Issuer == "" {
			u, err := unitOf(ctx, tx, actor.UnitID)
			if err != nil {
				return err
			}
			c.Stated.Issuer = u.Name
		}
		tmp := fmt.Sprintf("tmp-%d-%d", personID, now.UnixNano())
		if err := tx.QueryRow(ctx, `INSERT INTO volunteer_certificates (cert_no, volunteer_id, period_from, period_to, minutes, times, content,
			issuer_unit_id, responsible, clerk, created_by, created_at, publicise_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			tmp, v.ID, c.Stated.From, c.Stated.To, minutes, times, c.Stated.Content, actor.UnitID, c.Stated.Responsible, clerk,
			actor.Recorded(), store.Millis(now), store.Millis(c.PubliciseUntil)).Scan(&c.ID); err != nil {
			return fmt.Errorf("register certificate: %w", store.Normalize(err))
		}
		c.Stated.No = fmt.Sprintf("ZYZM%s%06d", now.In(shanghai).Format("2006"), c.ID)
		if _, err := tx.Exec(ctx, `UPDATE volunteer_certificates SET cert_no = ? WHERE id = ?`, c.Stated.No, c.ID); err != nil {
			return fmt.Errorf("number certificate: %w", store.Normalize(err))
		}
		return nil
	})
	return c, err
}

// Certificate returns a ledger row by its number.
func (s *Service) Certificate(ctx context.Context, no string) (Certificate, error) {
	var c Certificate
	var until int64
	var issued, revoked *int64
	err := s.db.QueryRow(ctx, `SELECT k.id, w.person_id, k.cert_no, w.volunteer_no, p.name, p.id_no_hash, k.period_from, k.period_to, k.minutes,
		k.times, k.content, u.name, u.path, k.responsible, k.clerk, k.publicise_until, k.issued_at, k.payload, k.revoked_at, k.revoke_reason
		FROM volunteer_certificates k JOIN volunteers w ON w.id = k.volunteer_id JOIN people p ON p.id = w.person_id
		JOIN units u ON u.id = k.issuer_unit_id WHERE k.cert_no = ?`, strings.TrimSpace(no)).
		Scan(&c.ID, &c.PersonID, &c.Stated.No, &c.Stated.VolunteerNo, &c.Stated.Name, &c.Stated.IDMasked, &c.Stated.From, &c.Stated.To,
			&c.Stated.Minutes, &c.Stated.Times, &c.Stated.Content, &c.Stated.Issuer, &c.issuerPath, &c.Stated.Responsible, &c.Stated.Clerk,
			&until, &issued, &c.Payload, &revoked, &c.RevokeReason)
	if err != nil {
		err = store.Normalize(err)
		if errors.Is(err, store.ErrNotFound) {
			return c, store.NotFoundf("没有编号为 %s 的志愿服务记录证明", no)
		}
		return c, fmt.Errorf("certificate %s: %w", no, err)
	}
	if c.Stated.IDMasked != "" {
		c.Stated.IDType, c.Stated.IDMasked = "居民身份证", "******************"
	}
	c.PubliciseUntil = store.Time(until).In(shanghai)
	c.Status = "publicised"
	if issued != nil {
		c.Status = "issued"
		c.Stated.Date = store.Time(*issued).In(shanghai).Format("2006-01-02")
	}
	if revoked != nil {
		c.Status = "revoked"
	}
	return c, nil
}

// Certificates lists a person's certificates, newest first.
func (s *Service) Certificates(ctx context.Context, personID int64) ([]Certificate, error) {
	rows, err := s.db.Query(ctx, `SELECT k.cert_no FROM volunteer_certificates k JOIN volunteers w ON w.id = k.volunteer_id
		WHERE w.person_id = ? ORDER BY k.id DESC`, personID)
	nos, err := store.Collect(rows, err, func(sc store.Scanner) (string, error) {
		var s string
		return s, sc.Scan(&s)
	})
	if err != nil {
		return nil, fmt.Errorf("certificates of person %d: %w", personID, err)
	}
	out := make([]Certificate, 0, len(nos))
	for _, no := range nos {
		c, err := s.Certificate(ctx, no)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// IssueCertificate issues a publicised certificate once its publicity is
// over: its payload is signed with the county's key and kept in the ledger.
func (s *Service) IssueCertificate(ctx context.Context, actor access.Actor, no string) (Certificate, error) {
	c, err := s.Certificate(ctx, no)
	if err != nil {
		return c, err
	}
	if !organiser(actor, c.issuerPath) {
		return c, store.Forbidden("只有出具单位或其上级的工作人员可以签发该证明")
	}
	if c.Status != "publicised" {
		return c, store.Invalid("该证明已签发或已撤销")
	}
	now := s.now()
	if now.Before(c.PubliciseUntil) {
		return c, store.Invalidf("该证明公示至%s，公示期满后才能签发", c.PubliciseUntil.Format("2006-01-02 15:04"))
	}
	key, ok, err := audit.SigningKey()
	if err != nil {
		return c, err
	}
	if !ok {
		return c, errNoKey
	}
	c.Stated.Date = now.In(shanghai).Format("2006-01-02")
	c.Payload, err = Sign(key, c.Stated)
	if err != nil {
		return c, err
	}
	res, err := s.db.Exec(ctx, `UPDATE volunteer_certificates SET issued_at = ?, payload = ? WHERE id = ? AND issued_at IS NULL AND revoked_at IS NULL`,
		store.Millis(now), c.Payload, c.ID)
	if err != nil {
		return c, fmt.Errorf("issue certificate %s: %w", no, store.Normalize(err))
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return c, store.Invalid("该证明已签发或已撤销")
	}
	c.Status = "issued"
	return c, nil
}

// RevokeCertificate revokes a certificate; its payload then fails
// verification.
func (s *Service) RevokeCertificate(ctx context.Context, actor access.Actor, no, reason string) error {
	c, err := s.Certificate(ctx, no)
	if err != nil {
		return err
	}
	if !organiser(actor, c.issuerPath) {
		return store.Forbidden("只有出具单位或其上级的工作人员可以撤销该证明")
	}
	if clean(reason) == "" {
		return store.Invalid("请填写撤销原因")
	}
	if c.Status == "revoked" {
		return store.Invalid("该证明已撤销")
	}
	if _, err := s.db.Exec(ctx, `UPDATE volunteer_certificates SET revoked_at = ?, revoke_reason = ? WHERE id = ?`,
		store.Millis(s.now()), clean(reason), c.ID); err != nil {
		return fmt.Errorf("revoke certificate %s: %w", no, store.Normalize(err))
	}
	return nil
}

// Sign returns the payload of a certificate: PayloadPrefix, the stated
// fields as base64url JSON, a dot, and the ed25519 signature of everything
// before it as base64url.
func Sign(key ed25519.PrivateKey, st Stated) (string, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return "", fmt.Errorf("certificate payload: %w", err)
	}
	body := PayloadPrefix + base64.RawURLEncoding.EncodeToString(b)
	return body + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, []byte(body))), nil
}

// CheckSignature checks a payload against the county's public key alone,
// offline: it returns what the certificate states when the signature holds.
func CheckSignature(pub ed25519.PublicKey, payload string) (Stated, error) {
	var st Stated
	payload = strings.TrimSpace(payload)
	i := strings.LastIndexByte(payload, '.')
	if !strings.HasPrefix(payload, PayloadPrefix) || i <= len(PayloadPrefix) {
		return st, store.Invalid("这不是本县出具的志愿服务记录证明")
	}
	sig, err := base64.RawURLEncoding.DecodeString(payload[i+1:])
	if err != nil || !ed25519.Verify(pub, []byte(payload[:i]), sig) {
		return st, store.Invalid("证明的签名不符：内容被改动过，或不是本县出具的证明")
	}
	b, err := base64.RawURLEncoding.DecodeString(payload[len(PayloadPrefix):i])
	if err != nil || json.Unmarshal(b, &st) != nil {
		return st, store.Invalid("证明的签名不符：内容被改动过，或不是本县出具的证明")
	}
	return st, nil
}

// PublicKey is the county's public key for checking certificates offline
// (false before the audit key is set).
func PublicKey() (ed25519.PublicKey, bool) {
	key, ok, err := audit.SigningKey()
	if err != nil || !ok {
		return nil, false
	}
	return key.Public().(ed25519.PublicKey), true
}

// Verify checks a payload: the county's signature, and that the ledger
// holds the certificate as issued with this very payload and not revoked.
// It returns only what the certificate states.
func (s *Service) Verify(ctx context.Context, payload string) (Stated, error) {
	if !strings.HasPrefix(strings.TrimSpace(payload), PayloadPrefix) {
		return Stated{}, store.Invalid("这不是本县出具的志愿服务记录证明")
	}
	pub, ok := PublicKey()
	if !ok {
		return Stated{}, errNoKey
	}
	st, err := CheckSignature(pub, payload)
	if err != nil {
		return Stated{}, err
	}
	c, err := s.Certificate(ctx, st.No)
	if errors.Is(err, store.ErrNotFound) {
		return Stated{}, store.Invalid("证明台账中没有这份证明")
	}
	if err != nil {
		return Stated{}, err
	}
	switch {
	case c.Status == "revoked":
		return Stated{}, store.Invalid("这份证明已被出具单位撤销")
	case c.Status != "issued" || c.Payload != strings.TrimSpace(payload):
		return Stated{}, store.Invalid("证明台账中没有这份证明")
	}
	return st, nil
}

// CertificateFor returns a certificate to a user whose subtree holds its
// issuing unit, and store.ErrNotFound to anyone else.
func (s *Service) CertificateFor(ctx context.Context, actor access.Actor, no string) (Certificate, error) {
	c, err := s.Certificate(ctx, no)
	if err != nil {
		return c, err
	}
	if !actor.SeesPath(c.issuerPath) {
		return Certificate{}, store.NotFoundf("没有编号为 %s 的志愿服务记录证明", no)
	}
	return c, nil
}
