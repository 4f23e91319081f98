#pragma once

#include <sys/types.h>

#include <stdexcept>
#include <string>

namespace flowkit::cli {

/// -Z USER could not be honoured; the message is one line.
class PrivilegeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The account a tool switches to.
struct UserIds {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

/// Looks `name` up in the user database. Throws PrivilegeError for an unknown user.
[[nodiscard]] UserIds lookup_user(const std::string& name);

/// Becomes `user` for good, as tcpdump -Z does: the supplementary groups become the user's
/// (initgroups), then the real, effective and saved group and user ids are set, and the switch
/// is verified (a non-root user must not be able to become root again). Called as that user
/// already, it does nothing; called as any other non-root user, it throws. Throws
/// PrivilegeError.
void drop_privileges(const UserIds& user);

}  // namespace flowkit::cli
