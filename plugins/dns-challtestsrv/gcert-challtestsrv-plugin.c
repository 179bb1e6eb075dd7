void gcert_placeholder_challtestsrv (void); void gcert_placeholder_challtestsrv (void) {}
