# Sourced by the real-chain tests: RUN, their throwaway directory (emptied); a PostgreSQL of their
# own (CDC_RUN_DIR under RUN, CDC_PGPORT, CDC_E2E_DB); the harness and the stack functions.
#   source test/stack/env.sh RUN_DIR PGPORT DATABASE
RUN=$1
rm -rf "$RUN" && mkdir -p "$RUN"
CDC_RUN_DIR=$RUN/pg
CDC_PGPORT=$2
CDC_E2E_DB=$3
source "$(dirname "${BASH_SOURCE[0]}")/../harness/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"
