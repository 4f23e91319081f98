#pragma once

// The cli tests use the shared test support's process helpers and temporary directory.
#include "process.h"
#include "temp_dir.h"

namespace flowkit::cli::testing {

using flowkit::testing::Background;
using flowkit::testing::CommandResult;
using flowkit::testing::have;
using flowkit::testing::proc_status;
using flowkit::testing::read_file;
using flowkit::testing::run;
using flowkit::testing::run_in_terminal;
using flowkit::testing::shell_quote;
using flowkit::testing::TempDir;
using flowkit::testing::write_file;

}  // namespace flowkit::cli::testing
