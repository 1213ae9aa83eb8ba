/*
 * error.c - error codes: messages and names from the one table in
 * pipefan.h, and the library version.
 */
#include "pipefan.h"

const char *pf_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define PF__ERR_MSG(name, value, msg)                                          \
    case value:                                                                \
        return msg;
        PF_ERRNO_MAP(PF__ERR_MSG)
#undef PF__ERR_MSG
    default:
        return "unknown error";
    }
}

const char *pf_err_name(int err)
{
    switch (err) {
    case 0:
        return "PF_OK";
#define PF__ERR_NAME(name, value, msg)                                         \
    case value:                                                                \
        return "PF_" #name;
        PF_ERRNO_MAP(PF__ERR_NAME)
#undef PF__ERR_NAME
    default:
        return "PF_EUNKNOWN";
    }
}

const char *pf_version(void)
{
    return PF_VERSION_STRING;
}
