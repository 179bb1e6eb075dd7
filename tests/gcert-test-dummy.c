/* keeps the fixture library non-empty */
void gcert_test_dummy (void);
void gcert_test_dummy (void) {}
