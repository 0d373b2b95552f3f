package service

import (
	"context"

	"grassroots/internal/org"
	"grassroots/internal/store"
)

// How far from the applicant's home an application was accepted (就近办、
// 同城通办、异地可办); the item's flags Nearby, Citywide and CrossRegion
// say which centres may accept it.
const (
	ReachNearby = "nearby" // at the centre of the applicant's own township (or online)
	ReachCounty = "county" // at another township's centre of the county: forwarded to the responsible one
	ReachCross  = "cross"  // for an applicant of another county: sent on through the provincial exchange
)

// Reaches lists the reaches in display order.
var Reaches = []string{ReachNearby, ReachCounty, ReachCross}

// Where the applicant collects the result (DeskInput.Pickup).
const (
	PickupHere = "here" // the accepting centre
	PickupHome = "home" // the centre of the residence's township
)

// CrossOffice is the back office of a cross-county application at the
// accepting township while the other county handles it.
const CrossOffice = "异地代收代办"

// reachCheck is an application's reach as the desk decides it.
type reachCheck struct {
	reach      string
	residence  unitRef // the applicant's residence in the county (zero when not given or another county)
	homeCentre Site    // the centre of the residence's township
	forwarded  bool
}

// responsible is the place whose township handles the application: the
// residence when the application was accepted away from it, else the
// accepting site.
func (r reachCheck) responsible(site unitRef) unitRef {
	if r.reach == ReachCounty {
		return r.residence
	}
	return site
}

// reachOf decides the reach of an application accepted at site and holds
// the item's scope: an item only for nearby handling is accepted only at
// the centre of the applicant's own township, a cross-county application
// only for an item that may be handled across counties.
func (s *Service) reachOf(ctx context.Context, q store.Querier, it Item, site Site, in DeskInput) (reachCheck, error) {
	rc := reachCheck{reach: ReachNearby}
	if in.ResidenceOther != "" {
		if !it.CrossRegion {
			return rc, store.Invalidf("“%s”不能异地办理，请到申请人户籍或居住地所在县办理", it.Name)
		}
		rc.reach = ReachCross
		return rc, nil
	}
	if in.Residence == "" {
		return rc, nil
	}
	res, err := org.RefByCode(ctx, q, in.Residence)
	if err != nil {
		if isNotFound(err) {
			return rc, store.Invalidf("找不到居住地 %s", in.Residence)
		}
		return rc, err
	}
	rc.residence = res
	home, ok, err := s.townshipAt(ctx, q, res.Path)
	if err != nil {
		return rc, err
	}
	if !ok {
		return rc, store.Invalid("居住地请选择本县的乡镇（街道）或村（社区）")
	}
	if c, ok, err := s.centreFor(ctx, q, home.Path); err != nil {
		return rc, err
	} else if ok {
		rc.homeCentre = c
	}
	here, ok, err := s.townshipAt(ctx, q, site.UnitPath)
	if err != nil {
		return rc, err
	}
	if ok && here.ID == home.ID {
		return rc, nil
	}
	if !it.Citywide {
		return rc, store.Invalidf("“%s”只能就近办理，请到%s便民服务中心办理", it.Name, home.Name)
	}
	rc.reach = ReachCounty
	return rc, nil
}

// Residence is a place an applicant may live in: a township or street, or
// a village or community with its township's name.
type Residence struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Township string `json:"township,omitempty"`
}

// Label names the residence with its township ("富岭镇 某村").
func (r Residence) Label() string {
	if r.Township == "" {
		return r.Name
	}
	return r.Township + " " + r.Name
}

// Residences lists the townships, streets, villages and communities of
// the county, for the desk's residence field.
func (s *Service) Residences(ctx context.Context) ([]Residence, error) {
	rows, err := s.db.Query(ctx, `SELECT u.code, u.name, CASE WHEN u.kind IN ('village', 'community') THEN COALESCE(p.name, '') ELSE '' END
		FROM units u LEFT JOIN units p ON p.id = u.parent_id WHERE u.kind IN ('township', 'street', 'village', 'community') ORDER BY u.code`)
	return store.Collect(rows, err, func(sc interface{ Scan(...any) error }) (Residence, error) {
		var r Residence
		return r, sc.Scan(&r.Code, &r.Name, &r.Township)
	})
}
