#pragma once
// PostgreSQL + PostGIS's spelling of the SQL in data/dialect.hpp.

#include "data/dialect.hpp"

namespace plotmap::data::postgis {

[[nodiscard]] const dialect& sql_dialect();

} // namespace plotmap::data::postgis
