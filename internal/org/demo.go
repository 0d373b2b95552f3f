package org

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// Demo data: on top of the real divisions, grids for every community and
// village, buildings and lanes with their leaders in the urban communities,
// grid party branches and building/street party groups, grid workers, party
// members (some registered at the community where they live) and cadres, at
// about the reform's scale (622 building/street leaders, 279 party groups).
// Everything is generated from a fixed seed, so the counts are the same on
// every run, and marked demo = 1. People are fictitious ("王某某",
// "演示网格员001"), with phone numbers from the unused-looking 199-0000
// range, sealed like real ones.
//
// Grid boundaries are made up: the divisions file has centre points for the
// county and most townships only, so each village and community is placed on
// its own cell of a 0.02° × 0.018° lattice as close as possible to its own
// point (converted from GCJ-02 to WGS-84), or else to its township's, or else
// to the county's; its grids are strips of that cell. Cells never share
// area, so grids never overlap. Positions are approximate, for demonstration.

// The reform's figures the demo reproduces.
const (
	demoLeaders      = 622
	demoPartyGroups  = 279
	demoPartyMembers = 300
	demoDualMembers  = 160
	demoSeed1        = 20231126
	demoSeed2        = 350722
	cellLng          = 0.02
	cellLat          = 0.018
)

// DemoCounts says what LoadDemo added.
type DemoCounts struct {
	Grids, Buildings, Lanes                     int
	GridBranches, PartyGroups                   int
	GridWorkers, BuildingLeaders, StreetLeaders int
	PartyMembers, DualRegistered, Cadres        int
}

// Leaders is the number of building and street leaders.
func (c DemoCounts) Leaders() int { return c.BuildingLeaders + c.StreetLeaders }

// String is the line seedOrg prints.
func (c DemoCounts) String() string {
	return fmt.Sprintf("demo data: %d grids, %d buildings and %d lanes, %d grid party branches, %d party groups, "+
		"%d grid workers, %d building/street leaders, %d party members (%d registered where they live), %d cadres",
		c.Grids, c.Buildings, c.Lanes, c.GridBranches, c.PartyGroups, c.GridWorkers, c.Leaders(), c.PartyMembers, c.DualRegistered, c.Cadres)
}

// HasDemo reports whether demo data has been loaded.
func (s *Service) HasDemo(ctx context.Context) (bool, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM units WHERE demo = 1`).Scan(&n); err != nil {
		return false, fmt.Errorf("has demo: %w", store.Normalize(err))
	}
	return n > 0, nil
}

// DemoAllowed reports whether the database holds nothing but shipped
// divisions (no grids, buildings or people), the only state demo data is
// loaded into.
func (s *Service) DemoAllowed(ctx context.Context) (bool, error) {
	var units, people int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM units WHERE kind IN (?, ?)`, KindGrid, KindBuilding).Scan(&units); err != nil {
		return false, fmt.Errorf("demo allowed: %w", store.Normalize(err))
	}
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM people`).Scan(&people); err != nil {
		return false, fmt.Errorf("demo allowed: %w", store.Normalize(err))
	}
	return units == 0 && people == 0, nil
}

var demoSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程魏苏吕丁任沈姚卢")

type demoVillage struct {
	unit      *existingUnit
	code      string
	community bool
	township  string // code
	want      [2]float64
	cell      [2]int
}

// LoadDemo adds the demo data in one transaction. The divisions must be
// loaded and nothing else (no grids, buildings or people) may exist yet.
func (s *Service) LoadDemo(ctx context.Context) (DemoCounts, error) {
	if s.sealer == nil {
		return DemoCounts{}, fmt.Errorf("load demo: no personal-data key configured")
	}
	ok, err := s.DemoAllowed(ctx)
	if err != nil {
		return DemoCounts{}, err
	}
	if !ok {
		return DemoCounts{}, store.Conflict("演示数据只能载入尚无网格和人员的数据库")
	}
	county, err := s.County(ctx)
	if err != nil {
		return DemoCounts{}, err
	}
	var c DemoCounts
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		c, err = s.loadDemo(ctx, tx, county)
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: access.System, Action: "org.demo.load", Entity: "unit", EntityID: county.Code, After: c})
	})
	if err != nil {
		return DemoCounts{}, fmt.Errorf("load demo: %w", err)
	}
	return c, nil
}

func (s *Service) loadDemo(ctx context.Context, tx *store.Tx, county Unit) (DemoCounts, error) {
	rng := rand.New(rand.NewPCG(demoSeed1, demoSeed2))
	now := s.nowMillis()
	existing, err := loadExisting(ctx, tx)
	if err != nil {
		return DemoCounts{}, err
	}
	var c DemoCounts

	// Where things are: township centres, then each village's cell.
	countyLng, countyLat := 118.541256, 27.917263 // Pucheng's centre (GCJ-02) if the county has none
	if county.Lng != nil {
		countyLng, countyLat = *county.Lng, *county.Lat
	}
	countyW := [2]float64{}
	countyW[0], countyW[1] = GCJ02ToWGS84(countyLng, countyLat)
	codes := make([]string, 0, len(existing))
	for code := range existing {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	countyLo, countyHi := access.PathRange(county.Path)
	townCentre := map[string][2]float64{}
	var villages []*demoVillage
	var departments, townships []string
	byTownship := map[string][]*demoVillage{}
	parentCode := map[string]string{}
	rows, err := tx.Query(ctx, `SELECT u.code, COALESCE(p.code, '') FROM units u LEFT JOIN units p ON p.id = u.parent_id WHERE u.path >= ? AND u.path < ?`, countyLo, countyHi)
	if err != nil {
		return DemoCounts{}, err
	}
	for rows.Next() {
		var code, parent string
		if err := rows.Scan(&code, &parent); err != nil {
			rows.Close()
			return DemoCounts{}, err
		}
		parentCode[code] = parent
	}
	rows.Close()
	for _, code := range codes {
		e := existing[code]
		if _, inCounty := parentCode[code]; !inCounty {
			continue
		}
		switch e.kind {
		case KindTownship, KindStreet:
			townships = append(townships, code)
			if e.lng != nil {
				w0, w1 := GCJ02ToWGS84(*e.lng, *e.lat)
				townCentre[code] = [2]float64{w0, w1}
			} else {
				townCentre[code] = countyW
			}
		case KindDepartment:
			departments = append(departments, code)
		case KindVillage, KindCommunity:
			v := &demoVillage{unit: e, code: code, community: e.kind == KindCommunity, township: parentCode[code]}
			villages = append(villages, v)
			byTownship[v.township] = append(byTownship[v.township], v)
		}
	}
	if len(villages) == 0 {
		return DemoCounts{}, store.Conflict("尚未载入村（社区），无法生成演示网格")
	}
	taken := map[[2]int]bool{}
	for _, t := range townships {
		vs := byTownship[t]
		centre := townCentre[t]
		for k, v := range vs {
			if v.unit.lng != nil {
				v.want[0], v.want[1] = GCJ02ToWGS84(*v.unit.lng, *v.unit.lat)
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
		unit    *existingUnit
		code    string
		name    string
		box     BBox
		village *demoVillage
		branch  *partyRef
	}
	var grids []*demoGrid
	gridsOf := map[string][]*demoGrid{}
	for _, v := range villages {
		n := 1 + rng.IntN(3)
		if v.community {
			n = 3 + rng.IntN(4)
		}
		x0, y0 := float64(v.cell[0])*cellLng, float64(v.cell[1])*cellLat
		margin, gap := cellLng*0.04, cellLng*0.02
		w := (cellLng - 2*margin) / float64(n)
		villageParty, err := partyOrgOfUnit(ctx, tx, v.unit.id)
		if err != nil {
			return DemoCounts{}, fmt.Errorf("party organisation of %s: %w", v.code, err)
		}
		for i := range n {
			box := BBox{MinLng: x0 + margin + float64(i)*w, MaxLng: x0 + margin + float64(i+1)*w - gap,
				MinLat: y0 + cellLat*0.04, MaxLat: y0 + cellLat*0.96}
			code := fmt.Sprintf("%sG%02d", v.code, i+1)
			name := fmt.Sprintf("%s第%d网格", shortName(v.unit.name), i+1)
			cLng, cLat := WGS84ToGCJ02((box.MinLng+box.MaxLng)/2, (box.MinLat+box.MaxLat)/2)
			e, err := insertUnit(ctx, tx, v.unit, newUnit{Code: code, Name: name, Kind: KindGrid, UnitType: "网格",
				Lng: &cLng, Lat: &cLat, Boundary: rectangle(box), BBox: &box, Demo: true}, now)
			if err != nil {
				return DemoCounts{}, err
			}
			branch, err := insertPartyOrg(ctx, tx, villageParty, newPartyOrg{Code: code + "P", Name: name + "党支部", Kind: PartyGridBranch, UnitID: e.id, Demo: true}, now)
			if err != nil {
				return DemoCounts{}, err
			}
			g := &demoGrid{unit: e, code: code, name: name, box: box, village: v, branch: branch}
			grids = append(grids, g)
			gridsOf[v.code] = append(gridsOf[v.code], g)
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
	perGrid := apportion(rng, len(urban), demoLeaders)
	type demoBuilding struct {
		unit *existingUnit
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
			cLng, cLat := WGS84ToGCJ02(wLng, wLat)
			e, err := insertUnit(ctx, tx, g.unit, newUnit{Code: code, Name: name, Kind: KindBuilding, UnitType: unitType,
				Lng: &cLng, Lat: &cLat, Demo: true}, now)
			if err != nil {
				return DemoCounts{}, err
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
	if len(grouped) > demoPartyGroups {
		grouped = grouped[:demoPartyGroups]
	}
	sort.Ints(grouped)
	for _, i := range grouped {
		b := buildings[i]
		_, err := insertPartyOrg(ctx, tx, b.grid.branch, newPartyOrg{Code: b.code + "P", Name: b.grid.name + b.name + "党小组",
			Kind: PartyGroup, UnitID: b.unit.id, Demo: true}, now)
		if err != nil {
			return DemoCounts{}, err
		}
		c.PartyGroups++
	}

	// People.
	seq := 0
	add := func(name string, unitID int64, role string, partyOrg *partyRef, homeUnitID int64) error {
		seq++
		var partyOrgID int64
		if partyOrg != nil {
			partyOrgID = partyOrg.id
		}
		_, err := s.insertPerson(ctx, tx, PersonInput{Name: name, UnitID: unitID, Role: role, PartyOrgID: partyOrgID,
			HomeUnitID: homeUnitID, Phone: fmt.Sprintf("199%08d", seq), Demo: true})
		return err
	}
	fakeName := func() string { return string(demoSurnames[rng.IntN(len(demoSurnames))]) + "某某" }
	for _, g := range grids {
		workers := 1
		if g.village.community {
			workers = 2
		}
		for range workers {
			c.GridWorkers++
			if err := add(fmt.Sprintf("演示网格员%03d", c.GridWorkers), g.unit.id, RoleGridWorker, nil, 0); err != nil {
				return DemoCounts{}, err
			}
		}
	}
	for _, b := range buildings {
		role := RoleBuildingLeader
		if b.lane {
			role = RoleStreetLeader
			c.StreetLeaders++
		} else {
			c.BuildingLeaders++
		}
		if err := add(fakeName(), b.unit.id, role, nil, 0); err != nil {
			return DemoCounts{}, err
		}
	}
	// Serving party members of the departments, registered at an urban
	// community where they live; the others belong to a grid branch.
	var urbanCommunities []*demoVillage
	for _, v := range villages {
		if v.community && existing[v.township].kind == KindStreet {
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
	for i := range demoPartyMembers {
		if i < demoDualMembers && len(departments) > 0 && len(urbanCommunities) > 0 {
			dept := existing[departments[i%len(departments)]]
			home := urbanCommunities[rng.IntN(len(urbanCommunities))]
			if err := add(fakeName(), dept.id, RolePartyMember, nil, home.unit.id); err != nil {
				return DemoCounts{}, err
			}
			c.DualRegistered++
		} else {
			g := grids[rng.IntN(len(grids))]
			if err := add(fakeName(), g.unit.id, RolePartyMember, g.branch, 0); err != nil {
				return DemoCounts{}, err
			}
		}
		c.PartyMembers++
	}
	for _, t := range townships {
		for range 3 {
			if err := add(fakeName(), existing[t].id, RoleCadre, nil, 0); err != nil {
				return DemoCounts{}, err
			}
			c.Cadres++
		}
	}
	for _, v := range villages {
		if err := add(fakeName(), v.unit.id, RoleCadre, nil, 0); err != nil {
			return DemoCounts{}, err
		}
		c.Cadres++
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
