package demo

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/catalog"
	"grassroots/internal/org"
	"grassroots/internal/service"
	"grassroots/internal/store"
)

// serviceItemsJSON is the demo service catalogue: the public-service
// matters the demo adds to the lists' demo matters, so that the catalogue
// has about twenty items, and the items with their materials. It is
// demonstration content: the codes follow the scheme but are not official.
// The service package's tests load the same file.
//
//go:embed data/service-items.json
var serviceItemsJSON []byte

// serviceCatalogue is the shape of data/service-items.json.
type serviceCatalogue struct {
	ExtraMatters []catalog.MatterInput `json:"extra_matters"`
	Items        []service.ItemInput   `json:"items"`
}

// serviceData decodes the embedded catalogue (a fresh copy each time).
func serviceData() serviceCatalogue {
	var d serviceCatalogue
	if err := json.Unmarshal(serviceItemsJSON, &d); err != nil {
		panic("demo: data/service-items.json: " + err.Error()) // embedded and tested
	}
	return d
}

// demoStaffNames staff the windows, in turn.
var demoStaffNames = []string{"林晓燕", "陈建华", "吴丽萍", "黄志强", "张秀英", "刘明辉", "郑雅琴", "王伟", "李春梅", "杨海峰", "周丽华", "徐志明"}

// Service loads the demo service catalogue (about twenty items on the
// catalogue's demo matters, adding the few public-service matters it needs)
// and the network: a centre with three windows and staff in every township
// and street, a service point with a proxy window in every village and
// community. It does nothing when items exist already, or when the county
// departments or the demo matters are missing.
func Service(ctx context.Context, svc *service.Service, lists *catalog.Service, o *org.Service) (bool, error) {
	items, err := svc.Items(ctx, service.ItemFilter{})
	if err != nil {
		return false, fmt.Errorf("service demo: %w", err)
	}
	if len(items) > 0 {
		return false, nil
	}
	if _, err := o.UnitByCode(ctx, access.System, "350722D003"); isNotFound(err) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("service demo: %w", err)
	}
	if _, err := lists.Matter(ctx, "XK00101000"); isNotFound(err) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("service demo: %w", err)
	}
	data := serviceData()
	for _, m := range data.ExtraMatters {
		if _, _, err := lists.SaveMatter(ctx, access.System, m, Label+"：便民服务事项"); err != nil {
			return false, fmt.Errorf("demo matter %s: %w", m.Code, err)
		}
	}
	sites, err := serviceNetwork(ctx, o)
	if err != nil {
		return false, err
	}
	loaded, err := svc.LoadGenerated(ctx, access.System, data.Items, sites)
	if err != nil {
		return false, fmt.Errorf("service demo: %w", err)
	}
	return loaded, nil
}

// serviceNetwork is a centre in every township and street, a service point
// in every village and community, in code order.
func serviceNetwork(ctx context.Context, o *org.Service) ([]service.GeneratedSite, error) {
	var units []org.Unit
	for _, kind := range []string{org.KindTownship, org.KindStreet, org.KindVillage, org.KindCommunity} {
		us, err := o.ByKind(ctx, kind)
		if err != nil {
			return nil, err
		}
		units = append(units, us...)
	}
	slices.SortFunc(units, func(a, b org.Unit) int { return strings.Compare(a.Code, b.Code) })
	var sites []service.GeneratedSite
	staff := 0
	for i, u := range units {
		centre := u.IsTownshipLevel()
		site := service.GeneratedSite{UnitID: u.ID, Kind: service.SitePoint, Name: u.Name + "便民服务点", Address: u.Name + "村（居）民委员会",
			Hours: "周一至周五 8:00-12:00", Phone: fmt.Sprintf("0599-28%05d", 10000+i)}
		if centre {
			site.Kind, site.Name, site.Address, site.Hours = service.SiteCentre, u.Name+"综合便民服务中心", u.Name+"人民政府（办事处）一楼", "周一至周五 8:00-12:00，14:30-17:30；周六上午预约服务"
		}
		windows := [][3]string{{"1", "代办窗口", "proxy"}}
		if centre {
			windows = [][3]string{{"1", "1号综合受理窗口", "universal"}, {"2", "2号综合受理窗口", "universal"}, {"3", "统一出件窗口", "delivery"}}
		}
		for _, w := range windows {
			post := map[string]string{"universal": "综合受理员", "delivery": "出件员", "proxy": "代办员"}[w[2]]
			site.Windows = append(site.Windows, service.GeneratedWindow{No: w[0], Name: w[1], Kind: w[2],
				Staff: demoStaffNames[staff%len(demoStaffNames)], Post: post})
			staff++
		}
		sites = append(sites, site)
	}
	return sites, nil
}

// serviceRoles are the demo accounts' window roles: username, the unit of
// the centre, role, office.
var serviceRoles = [][4]string{
	{"demo_front", "350722001000", service.RoleFront, ""},
	{"demo_back", "350722001000", service.RoleBack, "社会事务办公室"},
	{"demo_delivery", "350722001000", service.RoleDelivery, ""},
	{"demo_township", "350722001000", service.RoleBack, "综合便民服务中心"},
	{"demo_fuling", "350722101000", service.RoleBack, ""},
	{"demo_fuling", "350722101000", service.RoleDelivery, ""},
}

// ServiceRoles assigns the demo accounts their window roles and records an
// online station in the first village (community) of 南浦街道 and 富岭镇,
// when none of that exists yet; it returns how many roles it assigned.
func ServiceRoles(ctx context.Context, svc *service.Service, actor access.Actor) (int, error) {
	n := 0
	for _, r := range serviceRoles {
		site, ok, err := svc.SiteOfUnit(ctx, r[1])
		if err != nil || !ok {
			return n, err
		}
		_, err = svc.AssignRole(ctx, actor, service.StaffInput{SiteID: site.ID, Username: r[0], Role: r[2], Office: r[3]})
		switch {
		case err == nil:
			n++
		case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrInvalid):
			// Assigned before, or the account is not there.
		default:
			return n, err
		}
	}
	if n == 0 {
		return 0, nil
	}
	existing, err := svc.Stations(ctx, "")
	if err != nil || len(existing) > 0 {
		return n, err
	}
	for _, township := range []string{"350722001000", "350722101000"} {
		points, err := svc.Points(ctx, township)
		if err != nil || len(points) == 0 {
			return n, err
		}
		var villages []string
		for _, p := range points[:min(2, len(points))] {
			villages = append(villages, p.UnitCode)
		}
		if _, err := svc.SaveStation(ctx, actor, service.StationInput{Unit: points[0].UnitCode, Name: points[0].UnitName + "网上服务站",
			Address: points[0].UnitName + "党群服务中心", Helper: "帮办员", Villages: villages}); err != nil {
			return n, err
		}
	}
	return n, nil
}
