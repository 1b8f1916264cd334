/* imapfs tests — small helpers shared by the CUnit test programs. */
#pragma once

#include <CUnit/Basic.h>
#include <stdlib.h>

/* Runs every registered suite verbosely and returns the process exit status:
 * non-zero when any assertion failed or the registry could not be built. */
static inline int test_run_all(void)
{
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_ErrorCode err = CU_get_error();
	CU_cleanup_registry();
	return (failed || err) ? EXIT_FAILURE : EXIT_SUCCESS;
}

#define TEST_ADD(suite, fn) CU_add_test((suite), #fn, (fn))
