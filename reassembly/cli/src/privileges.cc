#include "flowkit/cli/privileges.h"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <vector>

namespace flowkit::cli {

namespace {

std::string errno_text(int error) {
  return std::generic_category().message(error);
}

}  // namespace

UserIds lookup_user(const std::string& name) {
  const long hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(hint > 0 ? static_cast<std::size_t>(hint) : 16384);
  passwd entry{};
  passwd* found = nullptr;
  int rc = 0;
  while ((rc = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found)) ==
         ERANGE) {
    buffer.resize(buffer.size() * 2);
  }
  if (rc != 0) {
    throw PrivilegeError(fmt::format("-Z {}: cannot look the user up: {}", name, errno_text(rc)));
  }
  if (found == nullptr) throw PrivilegeError(fmt::format("-Z {}: no such user", name));
  return {found->pw_name, found->pw_uid, found->pw_gid};
}

void drop_privileges(const UserIds& user) {
  uid_t ruid = 0;
  uid_t euid = 0;
  uid_t suid = 0;
  ::getresuid(&ruid, &euid, &suid);
  if (euid != 0) {
    if (ruid == user.uid && euid == user.uid && suid == user.uid) return;
    throw PrivilegeError(fmt::format("-Z {}: cannot switch user: not running as root", user.name));
  }
  const auto fail = [&](const char* step) {
    const int error = errno;
    throw PrivilegeError(fmt::format("-Z {}: cannot {}: {}", user.name, step, errno_text(error)));
  };
  if (::initgroups(user.name.c_str(), user.gid) != 0) fail("set the supplementary groups");
  if (::setresgid(user.gid, user.gid, user.gid) != 0) fail("set the group id");
  if (::setresuid(user.uid, user.uid, user.uid) != 0) fail("set the user id");

  // Trust, but verify: every id is the user's, and root cannot be had back.
  gid_t rgid = 0;
  gid_t egid = 0;
  gid_t sgid = 0;
  ::getresuid(&ruid, &euid, &suid);
  ::getresgid(&rgid, &egid, &sgid);
  const bool ids_ok = ruid == user.uid && euid == user.uid && suid == user.uid &&
                      rgid == user.gid && egid == user.gid && sgid == user.gid;
  const bool root_back = user.uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0);
  if (!ids_ok || root_back) {
    throw PrivilegeError(
        fmt::format("-Z {}: privileges were not dropped (uid {}/{}/{}, gid {}/{}/{})", user.name,
                    ruid, euid, suid, rgid, egid, sgid));
  }
}

}  // namespace flowkit::cli
