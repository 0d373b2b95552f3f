package demo

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/catalog"
	"grassroots/internal/org"
	"grassroots/internal/service"
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
