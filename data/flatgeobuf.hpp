#pragma once
// FlatGeobuf (v3) files written directly: the header and each feature built as FlatBuffers
// tables (FlatBuffers' own builder, field slots as the format's schema numbers them), features
// spooled to a scratch file as they come, then sorted along a Hilbert curve of their boxes'
// centres and written after a packed Hilbert R-tree of node size 16, so that GDAL, QGIS and
// the flatgeobuf JavaScript reader filter by box without reading the whole file. GDAL's own
// writer builds an OGR feature per row and copies the file twice at the end (most of a
// million-plot export).

#include "geo/geometry.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace plotmap::data::flatgeobuf {

/// The format's ColumnType numbers for the kinds of values plotmap writes.
enum class column_type : std::uint8_t { integer = 7 /* Long */, real = 10 /* Double */, text = 11 /* String */ };

struct column {
    std::string name;
    column_type type;
};

/// The layer's coordinate reference system as the header's Crs table holds it.
struct crs_info {
    std::string org; ///< "EPSG", or empty
    int code = 0;    ///< the org's number for it, 0 if none
    std::string name;
    std::string wkt; ///< WKT2
};

/// One property of a feature (null, or the value in the field its column's type names).
struct property {
    bool null = true;
    std::int64_t integer = 0;
    double real = 0;
    std::string_view text;
};

class writer {
public:
    /// Starts `out` (replaced at finish()); its scratch file sits next to it.
    writer(std::filesystem::path out, std::string layer, std::vector<column> columns, crs_info crs);
    ~writer();
    writer(const writer&) = delete;
    writer& operator=(const writer&) = delete;

    /// A feature with a multipolygon, or with a point, and one property per column.
    void add(const geo::multi_polygon& g, const std::vector<property>& properties);
    void add(geo::point g, const std::vector<property>& properties);

    /// Sorts, indexes and writes the file; returns the number of features.
    /// @throws error when the disk refuses a write.
    std::int64_t finish();

private:
    struct spooled {
        std::uint64_t at;
        std::uint32_t size;
        geo::bbox box;
    };
    struct file_closer {
        void operator()(std::FILE* f) const noexcept { std::fclose(f); }
    };
    /// Finishes the feature whose geometry table (at `geometry`) is in the builder, with its
    /// properties, and appends it to the scratch file.
    void spool(std::uint32_t geometry, const std::vector<property>& properties, const geo::bbox& box);
    void write_out(std::FILE* f, const void* bytes, std::size_t size);

    std::filesystem::path out_, scratch_path_;
    std::string layer_;
    std::vector<column> columns_;
    crs_info crs_;
    std::unique_ptr<std::FILE, file_closer> scratch_;
    std::uint64_t scratch_size_ = 0;
    std::vector<spooled> features_;
    std::string properties_; // reused per feature
    struct builder;
    std::unique_ptr<builder> fbb_;
};

} // namespace plotmap::data::flatgeobuf
