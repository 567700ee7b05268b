#pragma once
// SQLite + SpatiaLite's spelling of the SQL in data/dialect.hpp.

#include "data/dialect.hpp"

namespace plotmap::data::sqlite {

[[nodiscard]] const dialect& sql_dialect();

} // namespace plotmap::data::sqlite
