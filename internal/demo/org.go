package demo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/store"
)

// The organisation data: on top of the real divisions, grids for every
// community and village, buildings and lanes with their leaders in the
// urban communities, grid party branches and building/street party groups,
// grid workers, party members (some registered at the community where they
// live) and cadres, at about the reform's scale (622 building/street
// leaders, 279 party groups). Everything is generated from a fixed seed, so
// the counts are the same on every run, and marked demo = 1. People are
// fictitious ("王某某", "演示网格员001"), with phone numbers from the
// unused-looking 199-0000 range, sealed like real ones.
//
// Grid boundaries are made up: the divisions file has centre points for the
// county and most townships only, so each village and community is placed on
// its own cell of a 0.02° × 0.018° lattice as close as possible to its own
// point (converted from GCJ-02 to WGS-84), or else to its township's, or else
// to the county's; its grids are strips of that cell. Cells never share
// area, so grids never overlap. Positions are approximate, for demonstration.

// The reform's figures the demo reproduces.
const (
	orgLeaders      = 622
	orgPartyGroups  = 279
	orgPartyMembers = 300
	orgDualMembers  = 160
	orgSeed1        = 20231126
	orgSeed2        = 350722
	cellLng         = 0.02
	cellLat         = 0.018
)

// OrgCounts says what Org added.
type OrgCounts struct {
	Grids, Buildings, Lanes                     int
	GridBranches, PartyGroups                   int
	GridWorkers, BuildingLeaders, StreetLeaders int
	PartyMembers, DualRegistered, Cadres        int
	// Households are the demo households of the buildings and lanes.
	Households int
}

// Leaders is the number of building and street leaders.
func (c OrgCounts) Leaders() int { return c.BuildingLeaders + c.StreetLeaders }

// String is the line seedOrg prints.
func (c OrgCounts) String() string {
	return fmt.Sprintf("demo data: %d grids, %d buildings and %d lanes, %d grid party branches, %d party groups, "+
		"%d grid workers, %d building/street leaders, %d party members (%d registered where they live), %d cadres",
		c.Grids, c.Buildings, c.Lanes, c.GridBranches, c.PartyGroups, c.GridWorkers, c.Leaders(), c.PartyMembers, c.DualRegistered, c.Cadres)
}

// HasOrg reports whether the demo organisation data has been loaded (a
// demo grid exists; demo buildings lie under demo grids).
func HasOrg(ctx context.Context, o *org.Service) (bool, error) {
	grids, err := o.ByKind(ctx, org.KindGrid)
	if err != nil {
		return false, fmt.Errorf("has demo: %w", err)
	}
	for _, g := range grids {
		if g.Demo {
			return true, nil
		}
	}
	return false, nil
}

// OrgAllowed reports whether the database holds nothing but shipped
// divisions (no grids, buildings or people), the only state the demo
// organisation data is loaded into.
func OrgAllowed(ctx context.Context, o *org.Service) (bool, error) {
	for _, kind := range []string{org.KindGrid, org.KindBuilding} {
		us, err := o.ByKind(ctx, kind)
		if err != nil {
			return false, fmt.Errorf("demo allowed: %w", err)
		}
		if len(us) > 0 {
			return false, nil
		}
	}
	county, err := o.County(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil // nothing loaded at all; Org says what is missing
	}
	if err != nil {
		return false, fmt.Errorf("demo allowed: %w", err)
	}
	c, err := o.Counts(ctx, county.ID)
	if err != nil {
		return false, fmt.Errorf("demo allowed: %w", err)
	}
	return c.TotalPeople() == 0, nil
}

var orgSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程魏苏吕丁任沈姚卢")

type demoVillage struct {
	unit      org.Unit
	code      string
	community bool
	township  string // code
	want      [2]float64
	cell      [2]int
}

// Org adds the demo organisation data in one transaction, through
// org.Service.LoadGenerated. The divisions must be loaded and nothing else
// (no grids, buildings or people) may exist yet.
func Org(ctx context.Context, o *org.Service) (OrgCounts, error) {
	if o.Sealer() == nil {
		return OrgCounts{}, fmt.Errorf("load demo: no personal-data key configured")
	}
	ok, err := OrgAllowed(ctx, o)
	if err != nil {
		return OrgCounts{}, err
	}
	if !ok {
		return OrgCounts{}, store.Conflict("演示数据只能载入尚无网格和人员的数据库")
	}
	county, err := o.County(ctx)
	if err != nil {
		return OrgCounts{}, err
	}
	var c OrgCounts
	var hh demoHouseholds
	err = o.LoadGenerated(ctx, "org.demo.load", county.Code, func(g *org.Generated) (any, error) {
		var err error
		c, err = generateOrg(ctx, g, county, &hh)
		return c, err
	})
	if err != nil {
		return OrgCounts{}, fmt.Errorf("load demo: %w", err)
	}
	// The households go in afterwards, per grid, as a county imports them.
	for _, g := range hh.order {
		res, err := o.ImportHouseholds(ctx, access.System, g, hh.rows[g])
		if err != nil {
			return OrgCounts{}, fmt.Errorf("load demo: households of %s: %w", g, err)
		}
		c.Households += res.Inserted
	}
	return c, nil
}

// demoHouseholds are the households generateOrg makes, by grid code.
type demoHouseholds struct {
	order []string
	rows  map[string][]org.HouseholdRow
}

func generateOrg(ctx context.Context, gen *org.Generated, county org.Unit, hh *demoHouseholds) (OrgCounts, error) {
	rng := rand.New(rand.NewPCG(orgSeed1, orgSeed2))
	all, err := gen.Units(ctx)
	if err != nil {
		return OrgCounts{}, err
	}
	// In code order, as the seed's draws expect (not the database's collation).
	slices.SortFunc(all, func(a, b org.Unit) int { return strings.Compare(a.Code, b.Code) })
	existing := map[string]org.Unit{}
	for _, u := range all {
		existing[u.Code] = u
	}
	var c OrgCounts

	// Where things are: township centres, then each village's cell.
	countyLng, countyLat := 118.541256, 27.917263 // Pucheng's centre (GCJ-02) if the county has none
	if county.Lng != nil {
		countyLng, countyLat = *county.Lng, *county.Lat
	}
	countyW := [2]float64{}
	countyW[0], countyW[1] = org.GCJ02ToWGS84(countyLng, countyLat)
	countyLo, countyHi := access.PathRange(county.Path)
	townCentre := map[string][2]float64{}
	var villages []*demoVillage
	var departments, townships []string
	byTownship := map[string][]*demoVillage{}
	for _, e := range all { // in code order
		if e.Path < countyLo || e.Path >= countyHi {
			continue
		}
		switch e.Kind {
		case org.KindTownship, org.KindStreet:
			townships = append(townships, e.Code)
			if e.Lng != nil {
				w0, w1 := org.GCJ02ToWGS84(*e.Lng, *e.Lat)
				townCentre[e.Code] = [2]float64{w0, w1}
			} else {
				townCentre[e.Code] = countyW
			}
		case org.KindDepartment:
			departments = append(departments, e.Code)
		case org.KindVillage, org.KindCommunity:
			v := &demoVillage{unit: e, code: e.Code, community: e.Kind == org.KindCommunity, township: e.ParentCode}
			villages = append(villages, v)
			byTownship[v.township] = append(byTownship[v.township], v)
		}
	}
	if len(villages) == 0 {
		return OrgCounts{}, store.Conflict("尚未载入村（社区），无法生成演示网格")
	}
	taken := map[[2]int]bool{}
	for _, t := range townships {
		vs := byTownship[t]
		centre := townCentre[t]
		for k, v := range vs {
			if v.unit.Lng != nil {
				v.want[0], v.want[1] = org.GCJ02ToWGS84(*v.unit.Lng, *v.unit.Lat)
			} else {
				// A ring around the township centre, communities inside.
				angle := 2 * math.Pi * float64(k) / float64(len(vs))
				radius := 0.035 + 0.015*float64(k%3)
				if v.community {
					radius = 0.015
				}
				v.want = [2]float64{centre[0] + radius*math.Cos(angle), centre[1] + radius*math.Sin(angle)}
			}
			v.cell = freeCell(taken, v.want)
			taken[v.cell] = true
		}
	}

	// Grids, buildings, party organisations.
	type demoGrid struct {
		unit    org.Unit
		code    string
		name    string
		box     org.BBox
		village *demoVillage
		branch  org.PartyOrg
	}
	var grids []*demoGrid
	for _, v := range villages {
		n := 1 + rng.IntN(3)
		if v.community {
			n = 3 + rng.IntN(4)
		}
		x0, y0 := float64(v.cell[0])*cellLng, float64(v.cell[1])*cellLat
		margin, gap := cellLng*0.04, cellLng*0.02
		w := (cellLng - 2*margin) / float64(n)
		villageParty, err := gen.PartyOrgOf(ctx, v.unit.ID)
		if err != nil {
			return OrgCounts{}, fmt.Errorf("party organisation of %s: %w", v.code, err)
		}
		for i := range n {
			box := org.BBox{MinLng: x0 + margin + float64(i)*w, MaxLng: x0 + margin + float64(i+1)*w - gap,
				MinLat: y0 + cellLat*0.04, MaxLat: y0 + cellLat*0.96}
			code := fmt.Sprintf("%sG%02d", v.code, i+1)
			name := fmt.Sprintf("%s第%d网格", org.ShortName(v.unit.Name), i+1)
			cLng, cLat := org.WGS84ToGCJ02((box.MinLng+box.MaxLng)/2, (box.MinLat+box.MaxLat)/2)
			e, err := gen.AddUnit(ctx, v.unit, org.GeneratedUnit{Code: code, Name: name, Kind: org.KindGrid, UnitType: "网格",
				Lng: &cLng, Lat: &cLat, Box: &box})
			if err != nil {
				return OrgCounts{}, err
			}
			branch, err := gen.AddPartyOrg(ctx, villageParty, org.GeneratedPartyOrg{Code: code + "P", Name: name + "党支部", Kind: org.PartyGridBranch, UnitID: e.ID})
			if err != nil {
				return OrgCounts{}, err
			}
			grids = append(grids, &demoGrid{unit: e, code: code, name: name, box: box, village: v, branch: branch})
			c.Grids++
			c.GridBranches++
		}
	}

	// 622 buildings and lanes over the community grids, in proportion to
	// random weights (largest remainder), each with its leader.
	var urban []*demoGrid
	for _, g := range grids {
		if g.village.community {
			urban = append(urban, g)
		}
	}
	perGrid := apportion(rng, len(urban), orgLeaders)
	type demoBuilding struct {
		unit org.Unit
		code string
		name string
		grid *demoGrid
		lane bool
	}
	var buildings []demoBuilding
	for gi, g := range urban {
		nb, nl := 0, 0
		for j := range perGrid[gi] {
			lane := rng.Float64() < 0.3
			var name, unitType string
			if lane {
				nl++
				name, unitType = fmt.Sprintf("%d号街巷", nl), "街巷"
			} else {
				nb++
				name, unitType = fmt.Sprintf("%d号楼", nb), "楼栋"
			}
			code := fmt.Sprintf("%sB%02d", g.code, j+1)
			wLng := g.box.MinLng + (g.box.MaxLng-g.box.MinLng)*(0.1+0.8*rng.Float64())
			wLat := g.box.MinLat + (g.box.MaxLat-g.box.MinLat)*(0.1+0.8*rng.Float64())
			cLng, cLat := org.WGS84ToGCJ02(wLng, wLat)
			e, err := gen.AddUnit(ctx, g.unit, org.GeneratedUnit{Code: code, Name: name, Kind: org.KindBuilding, UnitType: unitType,
				Lng: &cLng, Lat: &cLat})
			if err != nil {
				return OrgCounts{}, err
			}
			buildings = append(buildings, demoBuilding{unit: e, code: code, name: name, grid: g, lane: lane})
			if lane {
				c.Lanes++
			} else {
				c.Buildings++
			}
		}
	}
	// 279 of them get a party group under their grid's branch.
	grouped := rng.Perm(len(buildings))
	if len(grouped) > orgPartyGroups {
		grouped = grouped[:orgPartyGroups]
	}
	sort.Ints(grouped)
	for _, i := range grouped {
		b := buildings[i]
		_, err := gen.AddPartyOrg(ctx, b.grid.branch, org.GeneratedPartyOrg{Code: b.code + "P", Name: b.grid.name + b.name + "党小组",
			Kind: org.PartyGroup, UnitID: b.unit.ID})
		if err != nil {
			return OrgCounts{}, err
		}
		c.PartyGroups++
	}

	// People.
	seq := 0
	add := func(name string, unitID int64, role string, partyOrgID int64, homeUnitID int64) error {
		seq++
		return gen.AddPerson(ctx, org.PersonInput{Name: name, UnitID: unitID, Role: role, PartyOrgID: partyOrgID,
			HomeUnitID: homeUnitID, Phone: fmt.Sprintf("199%08d", seq)})
	}
	fakeName := func() string { return string(orgSurnames[rng.IntN(len(orgSurnames))]) + "某某" }
	for _, g := range grids {
		workers := 1
		if g.village.community {
			workers = 2
		}
		for range workers {
			c.GridWorkers++
			if err := add(fmt.Sprintf("演示网格员%03d", c.GridWorkers), g.unit.ID, org.RoleGridWorker, 0, 0); err != nil {
				return OrgCounts{}, err
			}
		}
	}
	for _, b := range buildings {
		role := org.RoleBuildingLeader
		if b.lane {
			role = org.RoleStreetLeader
			c.StreetLeaders++
		} else {
			c.BuildingLeaders++
		}
		if err := add(fakeName(), b.unit.ID, role, 0, 0); err != nil {
			return OrgCounts{}, err
		}
	}
	// Serving party members of the departments, registered at an urban
	// community where they live; the others belong to a grid branch.
	var urbanCommunities []*demoVillage
	for _, v := range villages {
		if v.community && existing[v.township].Kind == org.KindStreet {
			urbanCommunities = append(urbanCommunities, v)
		}
	}
	if len(urbanCommunities) == 0 {
		for _, v := range villages {
			if v.community {
				urbanCommunities = append(urbanCommunities, v)
			}
		}
	}
	for i := range orgPartyMembers {
		if i < orgDualMembers && len(departments) > 0 && len(urbanCommunities) > 0 {
			dept := existing[departments[i%len(departments)]]
			home := urbanCommunities[rng.IntN(len(urbanCommunities))]
			if err := add(fakeName(), dept.ID, org.RolePartyMember, 0, home.unit.ID); err != nil {
				return OrgCounts{}, err
			}
			c.DualRegistered++
		} else {
			g := grids[rng.IntN(len(grids))]
			if err := add(fakeName(), g.unit.ID, org.RolePartyMember, g.branch.ID, 0); err != nil {
				return OrgCounts{}, err
			}
		}
		c.PartyMembers++
	}
	for _, t := range townships {
		for range 3 {
			if err := add(fakeName(), existing[t].ID, org.RoleCadre, 0, 0); err != nil {
				return OrgCounts{}, err
			}
			c.Cadres++
		}
	}
	for _, v := range villages {
		if err := add(fakeName(), v.unit.ID, org.RoleCadre, 0, 0); err != nil {
			return OrgCounts{}, err
		}
		c.Cadres++
	}
	// Households: 4 to 12 per building or lane, by a fixed rule (the random
	// stream above stays as it was); Org imports them per grid.
	hh.rows = map[string][]org.HouseholdRow{}
	for i, b := range buildings {
		if _, ok := hh.rows[b.grid.code]; !ok {
			hh.order = append(hh.order, b.grid.code)
		}
		for h := range 4 + (i*7)%9 {
			seq++
			hh.rows[b.grid.code] = append(hh.rows[b.grid.code], org.HouseholdRow{Unit: b.code, Room: fmt.Sprintf("%d%02d", h/4+1, h%4+1),
				HeadName: fmt.Sprintf("演示户主%04d", seq%10000), Phone: fmt.Sprintf("199%08d", seq), Residents: 1 + (i+h)%5, Demo: true})
		}
	}
	return c, nil
}

// freeCell returns the lattice cell nearest to want (WGS-84) that is not
// taken, searching outwards ring by ring in a fixed order.
func freeCell(taken map[[2]int]bool, want [2]float64) [2]int {
	cx, cy := int(math.Floor(want[0]/cellLng)), int(math.Floor(want[1]/cellLat))
	for r := 0; ; r++ {
		for dy := -r; dy <= r; dy++ {
			for dx := -r; dx <= r; dx++ {
				if max(abs(dx), abs(dy)) != r {
					continue
				}
				cell := [2]int{cx + dx, cy + dy}
				if !taken[cell] {
					return cell
				}
			}
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// apportion splits total over n parts in proportion to random weights in
// [1, 2), by largest remainder, each part at least 1 when total ≥ n.
func apportion(rng *rand.Rand, n, total int) []int {
	if n == 0 {
		return nil
	}
	weights := make([]float64, n)
	sum := 0.0
	for i := range weights {
		weights[i] = 1 + rng.Float64()
		sum += weights[i]
	}
	out := make([]int, n)
	type rem struct {
		i int
		r float64
	}
	rems := make([]rem, n)
	given := 0
	for i, w := range weights {
		exact := float64(total) * w / sum
		out[i] = int(exact)
		given += out[i]
		rems[i] = rem{i, exact - float64(out[i])}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; given < total; k++ {
		out[rems[k%n].i]++
		given++
	}
	return out
}
