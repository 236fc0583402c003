#include "dg/status.h"

const char *dg_status_code(dg_status s) {
  switch (s) {
#define DG_STATUS_CASE(name, code) \
  case name:                       \
    return code;
    DG_STATUS_LIST(DG_STATUS_CASE)
#undef DG_STATUS_CASE
  }
  return "ERR_DG_INTERNAL";
}
