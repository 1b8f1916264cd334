/* placeholder until the cache lands */
int imapfs_cache_placeholder(void);
int imapfs_cache_placeholder(void) { return 0; }
