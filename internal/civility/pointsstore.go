package civility

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// Store is a points store (积分超市) at a service centre or village point.
type Store struct {
	ID       int64   `json:"id"`
	Name     string  `json:"name"`
	UnitID   int64   `json:"unit_id"`
	UnitName string  `json:"unit_name"`
	UnitPath string  `json:"-"`
	Goods    []Goods `json:"goods"`
}

// Goods are a store's goods with their stock.
type Goods struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Points int    `json:"points"`
	Stock  int    `json:"stock"`
}

// clerk reports whether actor works the counter of a store at path.
func clerk(actor access.Actor, path string) bool {
	if actor.System {
		return true
	}
	return actor.HasAny(access.RoleCommunity, access.RoleTownship) && actor.UnitPath != "" && actor.SeesPath(path) && !actor.Anonymous()
}

// AddStore opens a store at a unit (staff of the unit or above).
func (s *Service) AddStore(ctx context.Context, actor access.Actor, name string, unitID int64, demo bool) (int64, error) {
	name = clean(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return 0, store.Invalid("请填写积分超市名称（最多100字）")
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		u, err := unitOf(ctx, tx, unitID)
		if err != nil {
			return err
		}
		if !clerk(actor, u.Path) {
			return store.Forbiddenf("只有%s或其上级的工作人员可以开设积分超市", u.Name)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO civility_stores (name, unit_id, unit_path, demo, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			name, u.ID, u.Path, store.BoolInt(demo), store.Millis(s.now())).Scan(&id); err != nil {
			return fmt.Errorf("add store: %w", store.Normalize(err))
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "civility.store.add", Entity: "civility_store", EntityID: strconv.FormatInt(id, 10)})
	})
	return id, err
}

func storeOf(ctx context.Context, q querier, id int64) (Store, error) {
	st := Store{ID: id}
	err := q.QueryRow(ctx, `SELECT s.name, s.unit_id, u.name, s.unit_path FROM civility_stores s JOIN units u ON u.id = s.unit_id WHERE s.id = ?`, id).
		Scan(&st.Name, &st.UnitID, &st.UnitName, &st.UnitPath)
	if err != nil {
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return st, store.NotFoundf("找不到积分超市 %d", id)
		}
		return st, err
	}
	return st, nil
}

// atCounter runs fn on a store in one transaction, for a clerk of its
// counter (else refused with forbidden).
func (s *Service) atCounter(ctx context.Context, actor access.Actor, storeID int64, forbidden error, fn func(tx *store.Tx, st Store) error) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		st, err := storeOf(ctx, tx, storeID)
		if err != nil {
			return err
		}
		if !clerk(actor, st.UnitPath) {
			return forbidden
		}
		return fn(tx, st)
	})
}

// AddGoods puts goods on a store's shelf with their price in points and
// opening stock.
func (s *Service) AddGoods(ctx context.Context, actor access.Actor, storeID int64, name string, points, stock int) (int64, error) {
	name = clean(name)
	switch {
	case name == "" || utf8.RuneCountInString(name) > 100:
		return 0, store.Invalid("请填写商品名称（最多100字）")
	case points <= 0 || points > 100000:
		return 0, store.Invalid("兑换积分应在1至100000之间")
	case stock < 0 || stock > 100000:
		return 0, store.Invalid("库存应在0至100000之间")
	}
	var id int64
	err := s.atCounter(ctx, actor, storeID, store.Forbidden("只有积分超市所在社区、乡镇的工作人员可以管理商品"), func(tx *store.Tx, st Store) error {
		now := store.Millis(s.now())
		if err := tx.QueryRow(ctx, `INSERT INTO civility_goods (store_id, name, points, stock, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			st.ID, name, points, stock, now).Scan(&id); err != nil {
			return fmt.Errorf("add goods: %w", store.Normalize(err))
		}
		if stock > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO civility_stock_moves (goods_id, delta, reason, operator, at) VALUES (?, ?, '入库', ?, ?)`,
				id, stock, actor.Recorded(), now); err != nil {
				return err
			}
		}
		return nil
	})
	return id, err
}

// Restock adds (or, negative, removes with a reason) stock.
func (s *Service) Restock(ctx context.Context, actor access.Actor, goodsID int64, delta int, reason string) error {
	reason = clean(reason)
	if delta == 0 || reason == "" {
		return store.Invalid("请填写数量和原因")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var storeID int64
		if err := tx.QueryRow(ctx, `SELECT store_id FROM civility_goods WHERE id = ?`, goodsID).Scan(&storeID); err != nil {
			if errors.Is(store.Normalize(err), store.ErrNotFound) {
				return store.NotFoundf("找不到商品 %d", goodsID)
			}
			return err
		}
		st, err := storeOf(ctx, tx, storeID)
		if err != nil {
			return err
		}
		if !clerk(actor, st.UnitPath) {
			return store.Forbidden("只有积分超市所在社区、乡镇的工作人员可以管理商品")
		}
		res, err := tx.Exec(ctx, `UPDATE civility_goods SET stock = stock + ? WHERE id = ? AND stock + ? >= 0`, delta, goodsID, delta)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return store.Invalid("库存不足")
		}
		_, err = tx.Exec(ctx, `INSERT INTO civility_stock_moves (goods_id, delta, reason, operator, at) VALUES (?, ?, ?, ?, ?)`,
			goodsID, delta, reason, actor.Recorded(), store.Millis(s.now()))
		return err
	})
}

// Stores lists the stores in the actor's area (all, county-wide) with
// their goods.
func (s *Service) Stores(ctx context.Context, actor access.Actor) ([]Store, error) {
	where, args := actor.SubtreeFilter("s.unit_path")
	rows, err := s.db.Query(ctx, `SELECT s.id, s.name, s.unit_id, u.name, s.unit_path FROM civility_stores s JOIN units u ON u.id = s.unit_id
		WHERE `+where+` ORDER BY s.unit_path, s.id`, args...)
	out, err := store.Collect(rows, err, func(sc store.Scanner) (Store, error) {
		var st Store
		return st, sc.Scan(&st.ID, &st.Name, &st.UnitID, &st.UnitName, &st.UnitPath)
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		rows, err := s.db.Query(ctx, `SELECT id, name, points, stock FROM civility_goods WHERE store_id = ? ORDER BY points, id`, out[i].ID)
		out[i].Goods, err = store.Collect(rows, err, func(sc store.Scanner) (Goods, error) {
			var g Goods
			return g, sc.Scan(&g.ID, &g.Name, &g.Points, &g.Stock)
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Redemption is a redemption at the counter.
type Redemption struct {
	ID       int64     `json:"id"`
	StoreID  int64     `json:"store_id"`
	GoodsID  int64     `json:"goods_id"`
	CardNo   string    `json:"card_no"`
	Quantity int       `json:"quantity"`
	Points   int       `json:"points"`
	Balance  int64     `json:"balance"`
	Clerk    string    `json:"clerk"`
	At       time.Time `json:"at"`
}

// Redeem redeems goods at a store's counter for the holder of cardNo (the
// clerk scans or types it): the points move from the person's account to
// the store's, the stock goes down, all in one transaction; a redemption
// that would overdraw the account or exceed the stock is refused and
// writes nothing.
func (s *Service) Redeem(ctx context.Context, actor access.Actor, storeID, goodsID int64, cardNo string, quantity int) (Redemption, error) {
	r := Redemption{StoreID: storeID, GoodsID: goodsID, Quantity: quantity, Clerk: actor.Recorded()}
	if quantity <= 0 || quantity > 100 {
		return r, store.Invalid("兑换数量应在1至100之间")
	}
	err := s.atCounter(ctx, actor, storeID, store.Forbidden("只有积分超市所在社区、乡镇的工作人员可以办理兑换"), func(tx *store.Tx, st Store) error {
		c, err := cardOf(ctx, tx, `c.card_no = ?`, clean(cardNo))
		if err != nil {
			return err
		}
		r.CardNo = c.No
		var name string
		var price, stock, goodsStore int
		if err := tx.QueryRow(ctx, `SELECT name, points, stock, store_id FROM civility_goods WHERE id = ?`, goodsID).Scan(&name, &price, &stock, &goodsStore); err != nil {
			if errors.Is(store.Normalize(err), store.ErrNotFound) {
				return store.NotFoundf("找不到商品 %d", goodsID)
			}
			return err
		}
		if int64(goodsStore) != st.ID {
			return store.Invalid("该商品不属于这个积分超市")
		}
		r.Points = price * quantity
		if stock < quantity {
			return store.Invalidf("“%s”库存只剩%d件，不能兑换%d件", name, stock, quantity)
		}
		now := s.now()
		at := store.Millis(now)
		acct, err := personAccount(ctx, tx, c.PersonID, at)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT balance FROM civility_accounts WHERE id = ?`, acct).Scan(&r.Balance); err != nil {
			return err
		}
		if r.Balance < int64(r.Points) {
			return store.Invalidf("积分余额不足：需要%d分，余额%d分", r.Points, r.Balance)
		}
		sacct, err := storeAccount(ctx, tx, st.ID, at)
		if err != nil {
			return err
		}
		tid, err := transfer(ctx, tx, "redeem", 0, actor, fmt.Sprintf("%s兑换%s×%d", st.Name, name, quantity), at,
			leg{acct, -int64(r.Points)}, leg{sacct, int64(r.Points)})
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE civility_goods SET stock = stock - ? WHERE id = ? AND stock >= ?`, quantity, goodsID, quantity)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return store.Invalidf("“%s”库存不足", name)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO civility_redemptions (store_id, goods_id, person_id, quantity, points, transfer_id, clerk, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, st.ID, goodsID, c.PersonID, quantity, r.Points, tid, r.Clerk, at).Scan(&r.ID); err != nil {
			return fmt.Errorf("redemption: %w", store.Normalize(err))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO civility_stock_moves (goods_id, delta, reason, redemption_id, operator, at) VALUES (?, ?, '兑换', ?, ?, ?)`,
			goodsID, -quantity, r.ID, r.Clerk, at); err != nil {
			return err
		}
		r.Balance -= int64(r.Points)
		r.At = now.In(shanghai)
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "civility.redeem", Entity: "civility_store", EntityID: strconv.FormatInt(st.ID, 10),
			After: map[string]any{"goods_id": goodsID, "quantity": quantity, "points": r.Points, "card_no": c.No}})
	})
	return r, err
}

// MonthSummary is a store's month: redemptions, points taken, goods out,
// stock added.
type MonthSummary struct {
	StoreID     int64  `json:"store_id"`
	StoreName   string `json:"store_name"`
	Month       string `json:"month"` // YYYY-MM
	Redemptions int    `json:"redemptions"`
	Points      int    `json:"points"`
	GoodsOut    int    `json:"goods_out"`
	StockIn     int    `json:"stock_in"`
}

// Monthly summarises the stores of the actor's area month by month.
func (s *Service) Monthly(ctx context.Context, actor access.Actor) ([]MonthSummary, error) {
	stores, err := s.Stores(ctx, actor)
	if err != nil {
		return nil, err
	}
	var out []MonthSummary
	for _, st := range stores {
		byMonth := map[string]*MonthSummary{}
		var months []string
		get := func(at int64) *MonthSummary {
			m := store.Time(at).In(shanghai).Format("2006-01")
			if byMonth[m] == nil {
				byMonth[m] = &MonthSummary{StoreID: st.ID, StoreName: st.Name, Month: m}
				months = append(months, m)
			}
			return byMonth[m]
		}
		rows, err := s.db.Query(ctx, `SELECT at, quantity, points FROM civility_redemptions WHERE store_id = ? ORDER BY at`, st.ID)
		type red struct {
			at     int64
			q, pts int
		}
		reds, err := store.Collect(rows, err, func(sc store.Scanner) (red, error) { var r red; return r, sc.Scan(&r.at, &r.q, &r.pts) })
		if err != nil {
			return nil, err
		}
		for _, r := range reds {
			m := get(r.at)
			m.Redemptions++
			m.Points += r.pts
			m.GoodsOut += r.q
		}
		rows, err = s.db.Query(ctx, `SELECT m.at, m.delta FROM civility_stock_moves m JOIN civility_goods g ON g.id = m.goods_id
			WHERE g.store_id = ? AND m.delta > 0 ORDER BY m.at`, st.ID)
		ins, err := store.Collect(rows, err, func(sc store.Scanner) (red, error) { var r red; return r, sc.Scan(&r.at, &r.q) })
		if err != nil {
			return nil, err
		}
		for _, r := range ins {
			get(r.at).StockIn += r.q
		}
		for _, m := range months {
			out = append(out, *byMonth[m])
		}
	}
	return out, nil
}
