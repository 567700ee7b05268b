#include "geo/files.hpp"

#include "geo/error.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace plotmap::geo {

void fsync_path(const std::filesystem::path& path, bool directory) {
    const int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw error("cannot open " + path.string() + ": " + std::strerror(errno));
    const bool synced = ::fsync(fd) == 0;
    const int sync_errno = errno;
    ::close(fd);
    if (!synced) throw error("cannot sync " + path.string() + ": " + std::strerror(sync_errno));
}

void publish_file(const std::filesystem::path& from, const std::filesystem::path& to) {
    fsync_path(from, false);
    std::filesystem::rename(from, to);
    fsync_path(to.parent_path().empty() ? std::filesystem::path(".") : to.parent_path(), true);
}

} // namespace plotmap::geo
