// -Z USER: looking the user up and becoming it for good.
#include "flowkit/cli/privileges.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

namespace flowkit::cli {
namespace {

TEST(Privileges, LooksUsersUp) {
  const auto root = lookup_user("root");
  EXPECT_EQ(root.uid, 0u);
  EXPECT_EQ(root.gid, 0u);
  EXPECT_EQ(root.name, "root");
  try {
    (void)lookup_user("flowkit-no-such-user");
    FAIL() << "an unknown user was found";
  } catch (const PrivilegeError& e) {
    EXPECT_STREQ(e.what(), "-Z flowkit-no-such-user: no such user");
  }
}

// Runs `body` in a child process (privileges cannot come back in this one) and returns its
// exit status.
template <typename Body>
int in_child(Body body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int code = 0;
    try {
      code = body();
    } catch (const std::exception&) {
      code = 99;
    }
    std::_Exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Privileges, RootBecomesTheUserForGood) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const auto nobody = lookup_user("nobody");
  const int status = in_child([&] {
    drop_privileges(nobody);
    if (::getuid() != nobody.uid || ::geteuid() != nobody.uid) return 1;
    if (::getgid() != nobody.gid || ::getegid() != nobody.gid) return 2;
    gid_t groups[64];
    const int n = ::getgroups(64, groups);
    for (int i = 0; i < n; ++i) {
      if (groups[i] == 0) return 3;  // root's group must be gone
    }
    if (::setuid(0) == 0 || ::seteuid(0) == 0 || ::setgid(0) == 0) return 4;
    return 0;
  });
  EXPECT_EQ(status, 0);
}

TEST(Privileges, WithoutRootOnlyTheSameUserIsAccepted) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to become an unprivileged user first";
  const auto nobody = lookup_user("nobody");
  const auto root = lookup_user("root");
  const int status = in_child([&] {
    drop_privileges(nobody);
    drop_privileges(nobody);  // already that user: nothing to do
    try {
      drop_privileges(root);
    } catch (const PrivilegeError& e) {
      return std::string(e.what()) == "-Z root: cannot switch user: not running as root" ? 0 : 5;
    }
    return 6;
  });
  EXPECT_EQ(status, 0);
}

}  // namespace
}  // namespace flowkit::cli
