void gcert_placeholder_exec (void); void gcert_placeholder_exec (void) {}
