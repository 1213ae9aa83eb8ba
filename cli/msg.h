/* msg.h - how a subcommand's runtime log lines reach the user: plain
 * "pipefan CMD: message" lines, the runtime's internals (time, process,
 * pid, the chain of "a stage function failed" a failure leaves) only
 * with -v, and out of memory noticed in whatever process ran out.
 */
#ifndef CLI_MSG_H
#define CLI_MSG_H

/* Route pf_log lines through the plain form for command cmd (a string
 * that outlives the run); verbose > 0 keeps the runtime's own lines.
 * Call before pf_run (the state it keeps is shared with the workers
 * forked after); 0, or -1 when that shared state cannot be made (the
 * lines then stay as the runtime writes them). */
int cli_msg_start(const char *cmd, int verbose);

/* Did a process of the run log that it ran out of memory? */
int cli_msg_out_of_memory(void);
/* The first such message (what ran out of memory where), or "". */
const char *cli_msg_oom_where(void);

/* Restore the runtime's log sink and free the shared state. */
void cli_msg_end(void);

#endif
