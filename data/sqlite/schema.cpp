#include "data/sqlite/schema.hpp"

#include "data/schema.hpp"

#include "data/pin_clusters.hpp"
#include "data/database.hpp"
#include "data/tile_index.hpp"
#include "geo/error.hpp"

#include <array>
#include <string>
#include <vector>

namespace plotmap::data::sqlite {
namespace {

// Migration 1: SpatiaLite metadata, the three admin levels and the plot registry of
// DESIGN §1. Geometry is EPSG:4326 everywhere; each geometry column has an R*Tree index.
constexpr const char* migration_1 = R"sql(
SELECT InitSpatialMetaData();

CREATE TABLE adm1 (
  code      TEXT PRIMARY KEY,          -- numeric DOPA code, 2 digits ('64')
  pcode     TEXT NOT NULL UNIQUE,      -- OCHA P-code ('TH64')
  name_th   TEXT NOT NULL,
  name_en   TEXT NOT NULL
);
SELECT AddGeometryColumn('adm1', 'geom', 4326, 'MULTIPOLYGON', 'XY', 1);
SELECT CreateSpatialIndex('adm1', 'geom');

CREATE TABLE adm2 (
  code      TEXT PRIMARY KEY,          -- 4 digits ('6401')
  pcode     TEXT NOT NULL UNIQUE,
  adm1      TEXT NOT NULL REFERENCES adm1(code),
  name_th   TEXT NOT NULL,
  name_en   TEXT NOT NULL
);
SELECT AddGeometryColumn('adm2', 'geom', 4326, 'MULTIPOLYGON', 'XY', 1);
SELECT CreateSpatialIndex('adm2', 'geom');
CREATE INDEX adm2_adm1 ON adm2(adm1);

CREATE TABLE adm3 (
  code      TEXT PRIMARY KEY,          -- 6 digits ('640101')
  pcode     TEXT NOT NULL UNIQUE,
  adm1      TEXT NOT NULL REFERENCES adm1(code),
  adm2      TEXT NOT NULL REFERENCES adm2(code),
  name_th   TEXT NOT NULL,
  name_en   TEXT NOT NULL
);
SELECT AddGeometryColumn('adm3', 'geom', 4326, 'MULTIPOLYGON', 'XY', 1);
SELECT CreateSpatialIndex('adm3', 'geom');
CREATE INDEX adm3_adm2 ON adm3(adm2);

CREATE TABLE plots (
  id               INTEGER PRIMARY KEY,              -- public feature id, never reused
  uid              TEXT NOT NULL UNIQUE,             -- client-generated UUID (idempotent create)
  code             TEXT NOT NULL UNIQUE,             -- '<adm3>-<4-digit sequence>' by default
  program          TEXT NOT NULL,                    -- 'HLM', 'CLM' or a configured value
  name             TEXT,
  owner_name       TEXT,                             -- personal data
  owner_phone      TEXT,                             -- personal data
  village_no       INTEGER CHECK (village_no IS NULL OR village_no > 0),
  notes            TEXT,
  deed_type        TEXT NOT NULL DEFAULT 'none'
                   CHECK (deed_type IN ('chanote','ns3k','ns3','spk401','other','none')),
  deed_no          TEXT,                             -- personal data
  declared_area_m2 REAL CHECK (declared_area_m2 IS NULL OR declared_area_m2 >= 0),
  pin_accuracy_m   REAL CHECK (pin_accuracy_m IS NULL OR pin_accuracy_m >= 0),
  pin_source       TEXT CHECK (pin_source IS NULL OR pin_source IN ('gps','map','typed','import')),
  area_m2          REAL,                             -- geodesic, from the boundary
  perimeter_m      REAL,                             -- geodesic, from the boundary
  adm1             TEXT REFERENCES adm1(code),
  adm2             TEXT REFERENCES adm2(code),
  adm3             TEXT REFERENCES adm3(code),
  stage            TEXT NOT NULL DEFAULT 'surveyed',
  stage_changed_at TEXT,
  budget_year      INTEGER,                          -- Common Era; shown as BE (+543) in Thai
  version          INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at       TEXT NOT NULL,
  created_by       TEXT,
  updated_at       TEXT NOT NULL,
  updated_by       TEXT,
  deleted_at       TEXT
);
SELECT AddGeometryColumn('plots', 'pin', 4326, 'POINT', 'XY');
SELECT AddGeometryColumn('plots', 'boundary', 4326, 'MULTIPOLYGON', 'XY');
SELECT CreateSpatialIndex('plots', 'pin');
SELECT CreateSpatialIndex('plots', 'boundary');
CREATE INDEX plots_adm3 ON plots(adm3);
CREATE INDEX plots_adm2 ON plots(adm2);
CREATE INDEX plots_stage ON plots(stage);
CREATE INDEX plots_updated_at ON plots(updated_at);

-- Append-only: one row per version of a plot; 'changes' is a JSON object of
-- {field: [old, new]}. Monthly progress reports read stage changes from here.
CREATE TABLE plot_history (
  id          INTEGER PRIMARY KEY,
  plot_id     INTEGER NOT NULL REFERENCES plots(id),
  version     INTEGER NOT NULL,
  action      TEXT NOT NULL CHECK (action IN ('create','update','delete','restore')),
  changed_at  TEXT NOT NULL,
  changed_by  TEXT,
  changes     TEXT NOT NULL,
  UNIQUE (plot_id, version)
);
CREATE TRIGGER plot_history_no_update BEFORE UPDATE ON plot_history
  BEGIN SELECT RAISE(ABORT, 'plot_history is append-only'); END;
CREATE TRIGGER plot_history_no_delete BEFORE DELETE ON plot_history
  BEGIN SELECT RAISE(ABORT, 'plot_history is append-only'); END;

CREATE TABLE photos (
  id          INTEGER PRIMARY KEY,
  uid         TEXT NOT NULL UNIQUE,
  plot_id     INTEGER NOT NULL REFERENCES plots(id),
  taken_at    TEXT,
  caption     TEXT,
  stage       TEXT,
  media_type  TEXT NOT NULL,
  image       BLOB NOT NULL,
  thumbnail   BLOB,
  created_at  TEXT NOT NULL,
  created_by  TEXT
);
SELECT AddGeometryColumn('photos', 'location', 4326, 'POINT', 'XY');
CREATE INDEX photos_plot ON photos(plot_id);
)sql";

// Migration 2: how each version's input was interpreted: the CRS it came in, the PROJ
// operation that transformed it (and its stated accuracy), and any geometry repairs.
constexpr const char* migration_2 = R"sql(
ALTER TABLE plot_history ADD COLUMN details TEXT;
)sql";

// Migration 3: a location per plot (the pin, or a point inside the boundary when there is
// no pin) with its own index, for the pins tile layer; and per-cell counts of locations for
// low-zoom clusters (data/pin_clusters.hpp), filled from the plots already there.
constexpr const char* migration_3 = R"sql(
SELECT AddGeometryColumn('plots', 'location', 4326, 'POINT', 'XY');
UPDATE plots SET location = coalesce(pin, PointOnSurface(boundary));
SELECT CreateSpatialIndex('plots', 'location');
CREATE TABLE pin_clusters (
  cz     INTEGER NOT NULL,   -- cell zoom (5, 8, 11, 14)
  cx     INTEGER NOT NULL,
  cy     INTEGER NOT NULL,
  stage  TEXT NOT NULL,
  n      INTEGER NOT NULL,   -- live plots located in the cell at this stage
  sum_x  REAL NOT NULL,      -- sums of their Web Mercator coordinates, for the mean position
  sum_y  REAL NOT NULL,
  PRIMARY KEY (cz, cx, cy, stage)
) WITHOUT ROWID;
)sql";

// Migration 4: tile feature tables clustered by zoom-14 cell (data/tile_index.hpp), filled
// from the plots.
constexpr const char* migration_4 = R"sql(
CREATE TABLE tile_shapes (
  cx INTEGER NOT NULL, cy INTEGER NOT NULL,       -- a zoom-14 cell the boundary touches
  id INTEGER NOT NULL,                            -- plot id
  min_x REAL NOT NULL, min_y REAL NOT NULL, max_x REAL NOT NULL, max_y REAL NOT NULL,
  attrs TEXT NOT NULL,                            -- public attributes, 0x1f-separated
  geom BLOB NOT NULL,                             -- boundary, WKB lon/lat
  PRIMARY KEY (cx, cy, id)
) WITHOUT ROWID;
CREATE INDEX tile_shapes_id ON tile_shapes(id);
CREATE TABLE tile_locations (
  cx INTEGER NOT NULL, cy INTEGER NOT NULL,
  id INTEGER NOT NULL,
  x REAL NOT NULL, y REAL NOT NULL,               -- lon/lat
  attrs TEXT NOT NULL,
  PRIMARY KEY (cx, cy, id)
) WITHOUT ROWID;
CREATE INDEX tile_locations_id ON tile_locations(id);
)sql";

// Migration 5: users, sign-in sessions and API tokens (data/users.hpp). Credentials are
// stored only as hashes: Argon2id for passwords, BLAKE2b for random session/API tokens.
constexpr const char* migration_5 = R"sql(
CREATE TABLE users (
  id              INTEGER PRIMARY KEY,
  username        TEXT NOT NULL UNIQUE COLLATE NOCASE,
  role            TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'staff', 'viewer')),
  scope           TEXT,                             -- admin-code prefix; NULL = whole country
  password_hash   TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  disabled_at     TEXT,
  created_at      TEXT NOT NULL,
  created_by      TEXT,
  last_login_at   TEXT
);
CREATE TABLE sessions (
  token_hash      BLOB PRIMARY KEY,                 -- BLAKE2b-256 of the cookie value
  user_id         INTEGER NOT NULL REFERENCES users(id),
  csrf_token      TEXT NOT NULL,
  created_at      INTEGER NOT NULL,                 -- unix seconds
  expires_at      INTEGER NOT NULL,                 -- absolute end of the session
  last_seen_at    INTEGER NOT NULL,                 -- idle timeout counts from here
  remote          TEXT,
  ended_at        INTEGER                           -- logout or revocation
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE api_tokens (
  id              INTEGER PRIMARY KEY,
  token_hash      BLOB NOT NULL UNIQUE,             -- BLAKE2b-256 of the token
  prefix          TEXT NOT NULL,                    -- first characters, to recognise it
  user_id         INTEGER NOT NULL REFERENCES users(id),
  name            TEXT,
  can_write       INTEGER NOT NULL DEFAULT 0,
  scope           TEXT,                             -- NULL = the user's scope
  created_at      TEXT NOT NULL,
  last_used_at    INTEGER,
  revoked_at      TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
)sql";

// Migration 6: small partial indexes that let SQLite count live plots (all, or those with a
// boundary) without reading the table: OGC API numberMatched on a million plots.
constexpr const char* migration_6 = R"sql(
CREATE INDEX plots_live ON plots(id) WHERE deleted_at IS NULL;
CREATE INDEX plots_live_boundary ON plots(id) WHERE deleted_at IS NULL AND boundary IS NOT NULL;
)sql";

// Migration 7: leaner triggers on the plots' geometry columns. SpatiaLite's own run three
// UPDATEs of geometry_columns_time on every insert and update (statistics plotmap does not
// use) and keep the R*Trees through RTreeAlign(), which parses a new INSERT each time; these
// insert into the same R*Trees directly (SQLite rounds the boxes outwards to its floats, as
// RTreeAlign does). The geometry-type checks (ggi_/ggu_) and the delete triggers stay.
void lean_geometry_triggers(connection& c) {
    for (const std::string column : {"pin", "boundary", "location"}) {
        const std::string index = "idx_plots_" + column;
        const std::string box = "MbrMinX(NEW." + column + "), MbrMaxX(NEW." + column + "), MbrMinY(NEW." + column + "), MbrMaxY(NEW." + column + ")";
        std::string sql;
        for (const char* old : {"tmi", "tmu", "tmd", "gii", "giu"}) sql += std::string("DROP TRIGGER IF EXISTS ") + old + "_plots_" + column + ";\n";
        sql += "CREATE TRIGGER gii_plots_" + column + " AFTER INSERT ON plots FOR EACH ROW WHEN NEW." + column + " IS NOT NULL BEGIN\n"
               "  DELETE FROM " + index + " WHERE pkid = NEW.ROWID;\n"
               "  INSERT INTO " + index + " (pkid, xmin, xmax, ymin, ymax) VALUES (NEW.ROWID, " + box + ");\nEND;\n";
        sql += "CREATE TRIGGER giu_plots_" + column + " AFTER UPDATE OF " + column + " ON plots FOR EACH ROW BEGIN\n"
               "  DELETE FROM " + index + " WHERE pkid = NEW.ROWID;\n"
               "  INSERT INTO " + index + " (pkid, xmin, xmax, ymin, ymax) SELECT NEW.ROWID, " + box + " WHERE NEW." + column +
               " IS NOT NULL;\nEND;\n";
        c.exec(sql);
    }
}

// Migration 8: photos on disk instead of in the database (the table of migration 1 held
// BLOBs and was never written), their history, and progress events: a stage reached on a
// day, with a note and photos.
constexpr const char* migration_8 = R"sql(
SELECT DiscardGeometryColumn('photos', 'location');
DROP TABLE photos;
CREATE TABLE photos (
  id            INTEGER PRIMARY KEY,
  uid           TEXT NOT NULL UNIQUE,
  plot_id       INTEGER NOT NULL REFERENCES plots(id),
  sha256        TEXT NOT NULL CHECK (length(sha256) = 64),
  upload_type   TEXT NOT NULL,
  media_type    TEXT NOT NULL,
  bytes         INTEGER NOT NULL,
  width         INTEGER NOT NULL,
  height        INTEGER NOT NULL,
  taken_at      TEXT,
  lon           REAL,
  lat           REAL,
  accuracy_m    REAL,
  exif_lon      REAL,
  exif_lat      REAL,
  exif_taken_at TEXT,
  caption       TEXT,
  stage         TEXT,
  progress_uid  TEXT,
  public        INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1)),
  uploaded_at   TEXT NOT NULL,
  uploaded_by   TEXT,
  deleted_at    TEXT
);
CREATE INDEX photos_plot ON photos(plot_id, taken_at);
CREATE INDEX photos_sha256 ON photos(sha256);
CREATE INDEX photos_progress ON photos(progress_uid) WHERE progress_uid IS NOT NULL;

CREATE TABLE photo_history (
  id          INTEGER PRIMARY KEY,
  photo_id    INTEGER NOT NULL REFERENCES photos(id),
  action      TEXT NOT NULL CHECK (action IN ('add','delete','restore','public','private')),
  at          TEXT NOT NULL,
  by          TEXT
);
CREATE INDEX photo_history_photo ON photo_history(photo_id);
CREATE TRIGGER photo_history_no_update BEFORE UPDATE ON photo_history
  BEGIN SELECT RAISE(ABORT, 'photo_history is append-only'); END;
CREATE TRIGGER photo_history_no_delete BEFORE DELETE ON photo_history
  BEGIN SELECT RAISE(ABORT, 'photo_history is append-only'); END;

CREATE TABLE progress_events (
  id           INTEGER PRIMARY KEY,
  uid          TEXT NOT NULL UNIQUE,
  plot_id      INTEGER NOT NULL REFERENCES plots(id),
  plot_version INTEGER NOT NULL,
  stage_from   TEXT,
  stage_to     TEXT NOT NULL,
  happened_on  TEXT NOT NULL,
  note         TEXT,
  recorded_at  TEXT NOT NULL,
  recorded_by  TEXT
);
CREATE INDEX progress_events_plot ON progress_events(plot_id, happened_on);
)sql";

// Migration 9: idempotency keys of write requests (data/idempotency.hpp), per owner.
constexpr const char* migration_9 = R"sql(
CREATE TABLE idempotency_keys (
  owner        TEXT NOT NULL,
  key          TEXT NOT NULL,
  method       TEXT NOT NULL,
  path         TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  status       INTEGER,
  headers      TEXT,
  body         BLOB,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (owner, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_age ON idempotency_keys(created_at);
)sql";

// Migration 10: leaner geometry-type checks on the plots' geometry columns. SpatiaLite's
// (ggi_/ggu_) look the column's type up in geometry_columns by Lower() names on every insert
// and update; these name the type and SRID the column was made with (POINT 1, MULTIPOLYGON
// 6, WGS 84) and refuse the same geometries with the same message. A tenth of an import.
void lean_geometry_checks(connection& c) {
    for (const auto& [column, type] : {std::pair{"pin", 1}, std::pair{"boundary", 6}, std::pair{"location", 1}}) {
        const std::string col(column);
        const std::string check = " FOR EACH ROW WHEN NEW." + col + " IS NOT NULL AND GeometryConstraints(NEW." + col + ", " +
                                  std::to_string(type) + ", 4326) IS NOT 1 BEGIN\n  SELECT RAISE(ROLLBACK, 'plots." + col +
                                  " violates Geometry constraint [geom-type or SRID not allowed]');\nEND;\n";
        c.exec("DROP TRIGGER IF EXISTS ggi_plots_" + col + ";\nDROP TRIGGER IF EXISTS ggu_plots_" + col + ";\n" +
               "CREATE TRIGGER ggi_plots_" + col + " BEFORE INSERT ON plots" + check +
               "CREATE TRIGGER ggu_plots_" + col + " BEFORE UPDATE OF " + col + " ON plots" + check);
    }
}

// Migration 11: numbers the dashboard reads without scanning a million plots, kept exact by
// triggers in the transaction of every plot write (data/stats.hpp).
// plot_totals: live plots per subdistrict, stage, programme and budget year, with the sum
// of their measured areas in hundredths of a m² (integers, so that adding and taking away
// never drifts). stage_changes: every stage a plot reached (creation included), when, by
// whom, with the plot's current area, programme and budget year, and whether it is live.
constexpr const char* migration_11 = R"sql(
CREATE INDEX plots_adm1 ON plots(adm1);  -- a province's plots, for its reports
-- Declared and measured areas side by side, so that deeds that disagree with the boundary
-- are counted from the index alone.
CREATE INDEX plots_declared ON plots(adm1, adm2, adm3, program, budget_year, declared_area_m2, area_m2)
  WHERE deleted_at IS NULL AND declared_area_m2 > 0;

CREATE TABLE plot_totals (
  adm1          TEXT NOT NULL,              -- '' for none
  adm2          TEXT NOT NULL,
  adm3          TEXT NOT NULL,
  stage         TEXT NOT NULL,
  program       TEXT NOT NULL,
  budget_year   INTEGER NOT NULL,           -- 0 for none
  plots         INTEGER NOT NULL,
  area_cm2      INTEGER NOT NULL,           -- sum of round(area_m2 * 100)
  with_boundary INTEGER NOT NULL,
  PRIMARY KEY (adm1, adm2, adm3, stage, program, budget_year)
) WITHOUT ROWID;
INSERT INTO plot_totals
  SELECT coalesce(adm1, ''), coalesce(adm2, ''), coalesce(adm3, ''), stage, program, coalesce(budget_year, 0),
         count(*), total(round(coalesce(area_m2, 0) * 100)), count(boundary)
  FROM plots WHERE deleted_at IS NULL GROUP BY 1, 2, 3, 4, 5, 6;

CREATE TABLE stage_changes (
  plot_id     INTEGER NOT NULL,
  version     INTEGER NOT NULL,
  stage_from  TEXT,                        -- NULL: the plot was created at stage_to
  stage_to    TEXT NOT NULL,
  changed_at  TEXT NOT NULL,               -- the day it happened (a progress event's day), UTC
  changed_by  TEXT,
  adm1        TEXT, adm2 TEXT, adm3 TEXT, program TEXT NOT NULL, budget_year INTEGER,
  live        INTEGER NOT NULL,            -- 0 once the plot is deleted
  PRIMARY KEY (plot_id, version)
) WITHOUT ROWID;
INSERT INTO stage_changes
  SELECT h.plot_id, h.version, json_extract(h.changes, '$.stage[0]'), json_extract(h.changes, '$.stage[1]'),
         coalesce((SELECT e.happened_on || 'T05:00:00.000Z' FROM progress_events e WHERE e.plot_id = h.plot_id
                   AND e.plot_version = h.version), h.changed_at),
         h.changed_by, p.adm1, p.adm2, p.adm3, p.program, p.budget_year, p.deleted_at IS NULL
  FROM plot_history h JOIN plots p ON p.id = h.plot_id
  WHERE json_extract(h.changes, '$.stage[1]') IS NOT NULL;
CREATE INDEX stage_changes_at ON stage_changes(changed_at);
CREATE INDEX stage_changes_adm2 ON stage_changes(adm2, changed_at);

CREATE TRIGGER stage_changes_insert AFTER INSERT ON plots BEGIN
  INSERT INTO stage_changes VALUES (NEW.id, NEW.version, NULL, NEW.stage, coalesce(NEW.stage_changed_at, NEW.created_at),
      NEW.created_by, NEW.adm1, NEW.adm2, NEW.adm3, NEW.program, NEW.budget_year, NEW.deleted_at IS NULL);
END;
CREATE TRIGGER stage_changes_update AFTER UPDATE ON plots WHEN OLD.stage IS NOT NEW.stage BEGIN
  INSERT OR REPLACE INTO stage_changes VALUES (NEW.id, NEW.version, OLD.stage, NEW.stage,
      coalesce(NEW.stage_changed_at, NEW.updated_at), NEW.updated_by, NEW.adm1, NEW.adm2, NEW.adm3, NEW.program,
      NEW.budget_year, NEW.deleted_at IS NULL);
END;
CREATE TRIGGER stage_changes_follow AFTER UPDATE ON plots
  WHEN OLD.adm3 IS NOT NEW.adm3 OR OLD.adm2 IS NOT NEW.adm2 OR OLD.adm1 IS NOT NEW.adm1 OR OLD.program IS NOT NEW.program
    OR OLD.budget_year IS NOT NEW.budget_year OR (OLD.deleted_at IS NULL) IS NOT (NEW.deleted_at IS NULL) BEGIN
  UPDATE stage_changes SET adm1 = NEW.adm1, adm2 = NEW.adm2, adm3 = NEW.adm3, program = NEW.program,
      budget_year = NEW.budget_year, live = NEW.deleted_at IS NULL WHERE plot_id = NEW.id;
END;
)sql";

/// A grouping column of plot_totals, and what stands for NULL in it ("" for none).
struct total_key {
    const char* column;
    const char* null_as;
};
const std::vector<total_key> totals_keys_11{{"adm1", "''"}, {"adm2", "''"}, {"adm3", "''"}, {"stage", ""},
                                            {"program", ""}, {"budget_year", "0"}};

/// The triggers that keep plot_totals exact: a live plot row adds itself to its group, a row
/// that leaves a group (an edit of a counted column, a deletion) takes itself away.
void plot_totals_triggers(connection& c, const std::vector<total_key>& keys) {
    const auto value = [](const std::string& row, const total_key& k) {
        const std::string v = row + "." + k.column;
        return *k.null_as ? "coalesce(" + v + ", " + k.null_as + ")" : v;
    };
    std::string columns;
    std::string regrouped;
    for (const total_key& k : keys) {
        columns += std::string(k.column) + ", ";
        regrouped += "OLD." + std::string(k.column) + " IS NOT NEW." + k.column + " OR ";
    }
    regrouped += "OLD.area_m2 IS NOT NEW.area_m2 OR (OLD.boundary IS NULL) IS NOT (NEW.boundary IS NULL)";
    const auto add = [&](const std::string& row) {
        std::string values;
        for (const total_key& k : keys) values += value(row, k) + ", ";
        return "INSERT INTO plot_totals (" + columns + "plots, area_cm2, with_boundary) VALUES (" + values + "1, round(coalesce(" + row +
               ".area_m2, 0) * 100), " + row + ".boundary IS NOT NULL)\n"
               "  ON CONFLICT DO UPDATE SET plots = plots + 1, area_cm2 = area_cm2 + excluded.area_cm2, "
               "with_boundary = with_boundary + excluded.with_boundary;\n";
    };
    const auto take = [&](const std::string& row) {
        std::string where;
        for (const total_key& k : keys) where += std::string(where.empty() ? "" : " AND ") + k.column + " = " + value(row, k);
        return "UPDATE plot_totals SET plots = plots - 1, area_cm2 = area_cm2 - round(coalesce(" + row + ".area_m2, 0) * 100), "
               "with_boundary = with_boundary - (" + row + ".boundary IS NOT NULL)\n  WHERE " + where + ";\n";
    };
    c.exec("DROP TRIGGER IF EXISTS plot_totals_insert; DROP TRIGGER IF EXISTS plot_totals_update_old;\n"
           "DROP TRIGGER IF EXISTS plot_totals_update_new; DROP TRIGGER IF EXISTS plot_totals_delete;\n"
           "CREATE TRIGGER plot_totals_insert AFTER INSERT ON plots WHEN NEW.deleted_at IS NULL BEGIN\n" + add("NEW") + "END;\n" +
           "CREATE TRIGGER plot_totals_update_old AFTER UPDATE ON plots WHEN OLD.deleted_at IS NULL AND (NEW.deleted_at IS NOT NULL OR " +
           regrouped + ") BEGIN\n" + take("OLD") + "END;\n" +
           "CREATE TRIGGER plot_totals_update_new AFTER UPDATE ON plots WHEN NEW.deleted_at IS NULL AND (OLD.deleted_at IS NOT NULL OR " +
           regrouped + ") BEGIN\n" + add("NEW") + "END;\n" +
           "CREATE TRIGGER plot_totals_delete AFTER DELETE ON plots WHEN OLD.deleted_at IS NULL BEGIN\n" + take("OLD") + "END;\n");
}

void plot_totals_triggers_11(connection& c) { plot_totals_triggers(c, totals_keys_11); }

// Migration 12: verification (data/review.hpp). Each plot's review state, when it got there
// and who submitted it; plot_totals counted by review state too (rebuilt with the column in
// its key); review_changes, every state a plot reached, kept like stage_changes.
constexpr const char* migration_12 = R"sql(
ALTER TABLE plots ADD COLUMN review_state TEXT NOT NULL DEFAULT 'unchecked'
  CHECK (review_state IN ('unchecked', 'submitted', 'approved', 'needs_fix'));
ALTER TABLE plots ADD COLUMN review_changed_at TEXT;
ALTER TABLE plots ADD COLUMN submitted_by TEXT;
CREATE INDEX plots_review ON plots(review_state, review_changed_at) WHERE deleted_at IS NULL;

DROP TRIGGER plot_totals_insert;
DROP TRIGGER plot_totals_update_old;
DROP TRIGGER plot_totals_update_new;
DROP TRIGGER plot_totals_delete;
ALTER TABLE plot_totals RENAME TO plot_totals_11;
CREATE TABLE plot_totals (
  adm1          TEXT NOT NULL,
  adm2          TEXT NOT NULL,
  adm3          TEXT NOT NULL,
  stage         TEXT NOT NULL,
  program       TEXT NOT NULL,
  budget_year   INTEGER NOT NULL,
  review_state  TEXT NOT NULL,
  plots         INTEGER NOT NULL,
  area_cm2      INTEGER NOT NULL,
  with_boundary INTEGER NOT NULL,
  PRIMARY KEY (adm1, adm2, adm3, stage, program, budget_year, review_state)
) WITHOUT ROWID;
INSERT INTO plot_totals SELECT adm1, adm2, adm3, stage, program, budget_year, 'unchecked', plots, area_cm2, with_boundary
  FROM plot_totals_11;
DROP TABLE plot_totals_11;

CREATE TABLE review_changes (
  plot_id     INTEGER NOT NULL,
  version     INTEGER NOT NULL,
  state_from  TEXT NOT NULL,
  state_to    TEXT NOT NULL,
  changed_at  TEXT NOT NULL,
  changed_by  TEXT,
  adm1        TEXT, adm2 TEXT, adm3 TEXT, program TEXT NOT NULL, budget_year INTEGER,
  live        INTEGER NOT NULL,
  PRIMARY KEY (plot_id, version)
) WITHOUT ROWID;
CREATE INDEX review_changes_at ON review_changes(changed_at);
CREATE TRIGGER review_changes_update AFTER UPDATE ON plots WHEN OLD.review_state IS NOT NEW.review_state BEGIN
  INSERT OR REPLACE INTO review_changes VALUES (NEW.id, NEW.version, OLD.review_state, NEW.review_state,
      coalesce(NEW.review_changed_at, NEW.updated_at), NEW.updated_by, NEW.adm1, NEW.adm2, NEW.adm3, NEW.program,
      NEW.budget_year, NEW.deleted_at IS NULL);
END;
-- Both tables of changes follow the plot's area, programme, budget year and liveness.
DROP TRIGGER stage_changes_follow;
CREATE TRIGGER changes_follow AFTER UPDATE ON plots
  WHEN OLD.adm3 IS NOT NEW.adm3 OR OLD.adm2 IS NOT NEW.adm2 OR OLD.adm1 IS NOT NEW.adm1 OR OLD.program IS NOT NEW.program
    OR OLD.budget_year IS NOT NEW.budget_year OR (OLD.deleted_at IS NULL) IS NOT (NEW.deleted_at IS NULL) BEGIN
  UPDATE stage_changes SET adm1 = NEW.adm1, adm2 = NEW.adm2, adm3 = NEW.adm3, program = NEW.program,
      budget_year = NEW.budget_year, live = NEW.deleted_at IS NULL WHERE plot_id = NEW.id;
  UPDATE review_changes SET adm1 = NEW.adm1, adm2 = NEW.adm2, adm3 = NEW.adm3, program = NEW.program,
      budget_year = NEW.budget_year, live = NEW.deleted_at IS NULL WHERE plot_id = NEW.id;
END;
)sql";

// Migration 13: sign-in attempts counted in the database (data/users.hpp count_sign_in), so
// every server on it shares the limits.
constexpr const char* migration_13 = R"sql(
CREATE TABLE sign_in_counts (
  kind    TEXT NOT NULL,    -- 'address' or 'user'
  key     TEXT NOT NULL,
  count   INTEGER NOT NULL,
  ends_at INTEGER NOT NULL, -- unix seconds: the window's end
  PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE INDEX sign_in_counts_ends ON sign_in_counts(ends_at);
)sql";

void plot_totals_triggers_12(connection& c) {
    std::vector<total_key> keys = totals_keys_11;
    keys.push_back({"review_state", ""});
    plot_totals_triggers(c, keys);
}

struct migration {
    const char* sql;
    void (*after)(connection&); ///< work SQL alone cannot do, in the same transaction
};

constexpr std::array<migration, current_schema_version> migrations{{
    {migration_1, nullptr},
    {migration_2, nullptr},
    {migration_3, rebuild_clusters},
    {migration_4, rebuild_tile_index},
    {migration_5, nullptr},
    {migration_6, nullptr},
    {"", lean_geometry_triggers},
    {migration_8, nullptr},
    {migration_9, nullptr},
    {"", lean_geometry_checks},
    {migration_11, plot_totals_triggers_11},
    {migration_12, plot_totals_triggers_12},
    {migration_13, nullptr},
}};

} // namespace

int schema_version(connection& conn) { return static_cast<int>(conn.scalar_int("PRAGMA user_version")); }

bool has_other_tables(connection& conn) {
    return conn.scalar_int("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'") > 0;
}

void migrate_from(connection& conn, int current) {
    static_assert(migrations.size() == current_schema_version, "one migration for each version");
    for (int v = current; v < latest_schema_version(); ++v) {
        transaction tx(conn);
        const migration& m = migrations[static_cast<std::size_t>(v)];
        conn.exec(m.sql);
        if (m.after != nullptr) m.after(conn);
        conn.exec("PRAGMA user_version = " + std::to_string(v + 1));
        tx.commit();
    }
}

void refresh_statistics(connection& conn) { conn.exec("PRAGMA analysis_limit=1000; ANALYZE"); }

} // namespace plotmap::data::sqlite
