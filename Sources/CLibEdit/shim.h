// Non-variadic wrappers for libedit: Swift cannot call C variadic functions
// (el_set, el_wset, el_get, history_w), so every call the LineEditor needs has
// a typed static inline wrapper here.
#ifndef COMFYSH_CLIBEDIT_SHIM_H
#define COMFYSH_CLIBEDIT_SHIM_H

#include <histedit.h>
#include <stddef.h>
#include <wchar.h>

/// Prompt callback for the wide API (el_wset EL_PROMPT_ESC).
typedef wchar_t *(*le_wprompt_fn)(EditLine *);
/// User command added with EL_ADDFN; returns one of the CC_* codes.
typedef unsigned char (*le_command_fn)(EditLine *, int);
/// Character reader installed with EL_GETCFN: 1 = read a char, 0 = EOF, -1 = error.
typedef int (*le_getc_fn)(EditLine *, wchar_t *);

static inline int le_set_editor(EditLine *el, const char *mode) {
  return el_set(el, EL_EDITOR, mode);
}

/// libedit's own signal handling stays off: the LineEditor owns SIGINT/SIGWINCH.
static inline int le_set_signal(EditLine *el, int on) {
  return el_set(el, EL_SIGNAL, on);
}

/// The prompt comes from a wide-char callback; `ignore` brackets non-printing sequences.
static inline int le_set_prompt(EditLine *el, le_wprompt_fn fn, wchar_t ignore) {
  return el_wset(el, EL_PROMPT_ESC, fn, (int)ignore);
}

static inline int le_set_getcfn(EditLine *el, le_getc_fn fn) {
  return el_set(el, EL_GETCFN, fn);
}

static inline int le_set_clientdata(EditLine *el, void *data) {
  return el_set(el, EL_CLIENTDATA, data);
}

static inline void *le_get_clientdata(EditLine *el) {
  void *data = NULL;
  if (el_get(el, EL_CLIENTDATA, &data) != 0) {
    return NULL;
  }
  return data;
}

static inline int le_add_function(EditLine *el, const char *name, const char *help,
                                  le_command_fn fn) {
  return el_set(el, EL_ADDFN, name, help, fn);
}

/// Binds a key sequence (libedit syntax: "^R", or raw escape bytes) to a named editor command.
static inline int le_bind(EditLine *el, const char *keys, const char *command) {
  return el_set(el, EL_BIND, keys, command, (const char *)NULL);
}

/// Redraws prompt and line assuming the terminal cursor is at the top-left of the edit area.
static inline int le_refresh(EditLine *el) {
  return el_set(el, EL_REFRESH);
}

/// Puts the terminal into libedit's editing mode (on = 1) or back (0); used after SIGCONT,
/// because the job-control shell may have reset the terminal while the process was stopped.
static inline int le_prepare_terminal(EditLine *el, int on) {
  return el_set(el, EL_PREP_TERM, on);
}

/// A numeric terminal capability as libedit currently sees it ("co" columns, "li" lines); 0 if unknown.
static inline int le_get_numeric_capability(EditLine *el, const char *name) {
  int value = 0;
  if (el_get(el, EL_GETTC, name, &value, (void *)NULL) != 0) {
    return 0;
  }
  return value;
}

/// Connects a wide history to the editor (Up/Down, Ctrl-R).
static inline int le_set_history(EditLine *el, HistoryW *history) {
  return el_wset(el, EL_HIST, history_w, history);
}

static inline int le_history_set_size(HistoryW *history, int size) {
  HistEventW event;
  return history_w(history, &event, H_SETSIZE, size);
}

static inline int le_history_set_unique(HistoryW *history, int unique) {
  HistEventW event;
  return history_w(history, &event, H_SETUNIQUE, unique);
}

static inline int le_history_enter(HistoryW *history, const wchar_t *line) {
  HistEventW event;
  return history_w(history, &event, H_ENTER, line);
}

// Declared here too because <wchar.h> hides it unless _XOPEN_SOURCE is set.
int wcwidth(wchar_t c);

/// The C library's column width of a character: what libedit itself uses to lay out the line.
static inline int le_wcwidth(wchar_t c) {
  return wcwidth(c);
}

#endif
