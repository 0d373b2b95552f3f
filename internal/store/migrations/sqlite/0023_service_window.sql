-- The service window does what its names promise (issue 21, points 1-6).
--
-- Window roles (前台综合受理、后台分类办理、统一出件) are assigned to staff:
-- role front, back (with the office 科室 whose applications it handles) or
-- delivery. An application records the applicant's residence, how far from
-- it it was accepted (reach: nearby 就近办, county 同城通办, cross 异地可办),
-- whether it was forwarded to the responsible township, where the applicant
-- chose to collect the result, the window and clerk that delivered it, and a
-- cross-county application's exchange status. An item moved down to townships
-- says whether with its whole chain (全链条划转) or which steps stayed with
-- the county. Online service stations (网上服务站) serve villages.

ALTER TABLE service_staff ADD COLUMN role TEXT NOT NULL DEFAULT '';   -- front, back, delivery ('' not assigned)
ALTER TABLE service_staff ADD COLUMN office TEXT NOT NULL DEFAULT ''; -- a back office's 科室 ('' every office)
CREATE INDEX service_staff_user ON service_staff(user_id);

ALTER TABLE service_items ADD COLUMN transfer TEXT NOT NULL DEFAULT '';     -- '', whole (全链条划转), partial
ALTER TABLE service_items ADD COLUMN county_steps TEXT NOT NULL DEFAULT ''; -- partial: the steps kept by the county, "accept,handle,decide"

ALTER TABLE service_applications ADD COLUMN residence_unit_id INTEGER REFERENCES units(id);
ALTER TABLE service_applications ADD COLUMN residence_other TEXT NOT NULL DEFAULT ''; -- a residence in another county
ALTER TABLE service_applications ADD COLUMN reach TEXT NOT NULL DEFAULT 'nearby';     -- nearby, county, cross
ALTER TABLE service_applications ADD COLUMN forwarded INTEGER NOT NULL DEFAULT 0;     -- sent to the responsible township
ALTER TABLE service_applications ADD COLUMN pickup_site_id INTEGER REFERENCES service_sites(id);
ALTER TABLE service_applications ADD COLUMN delivered_window_id INTEGER REFERENCES service_windows(id);
ALTER TABLE service_applications ADD COLUMN delivered_by BIGINT;
ALTER TABLE service_applications ADD COLUMN delivered_by_name TEXT NOT NULL DEFAULT '';
ALTER TABLE service_applications ADD COLUMN exchange_status TEXT NOT NULL DEFAULT ''; -- cross: sent, accepted, approved, refused
ALTER TABLE service_applications ADD COLUMN station_id INTEGER;                      -- proxy started from an online station

-- 网上服务站: a place with a terminal and a helper where residents apply
-- online, each serving some villages.
CREATE TABLE service_stations (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES units(id),  -- the village or community it stands in
    name       TEXT NOT NULL UNIQUE,
    address    TEXT NOT NULL DEFAULT '',
    helper     TEXT NOT NULL DEFAULT '',               -- the 帮办员 on duty
    phone      TEXT NOT NULL DEFAULT '',
    demo       INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE service_station_villages (
    station_id INTEGER NOT NULL REFERENCES service_stations(id) ON DELETE CASCADE,
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (station_id, unit_id)
);
