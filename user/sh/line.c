/*
 * The shell's line editor. The console delivers bytes, one at a time or a
 * whole script at once; a state machine (never timing) turns them into
 * keys: printable bytes are inserted at the cursor, the terminal's escape
 * sequences (ESC [ ... final, ESC O final) become arrows, Home, End and
 * Delete, and any other sequence is consumed whole, never inserted. The
 * line is redrawn with plain VT100 sequences (CR, ESC[K, ESC[nC, ESC[nD).
 * Typed at the end of the line, a character is echoed as itself, a
 * backspace as "\b \b" and CR or LF as a newline, so a scripted console
 * sees what it always saw.
 *
 *   Left/Right, Ctrl-B/F    move            Home/End, Ctrl-A/E   line start/end
 *   Ctrl-Left/Right, Alt-B/F  word          Backspace, Delete, Ctrl-D  delete
 *   Up/Down, Ctrl-P/N       history         Ctrl-U/K/W  delete to start/end, word
 *   Tab                     complete        Ctrl-C  drop the line   Ctrl-L  clear
 *
 * History: the last HIST_MAX lines, not empty ones nor a repeat of the
 * last; the line being typed is kept while the history is walked.
 * Completion: the first word against the commands (sh_command), later
 * words as absolute paths through vfs (also after NAME=, as dd's if=);
 * one match completes (with a space after a command or a file, a '/' after
 * a directory), several complete their common prefix, and a second Tab in
 * a row lists them.
 */
#include "line.h"
#include "sh.h"
#include <stdio.h>
#include <string.h>

#define HIST_MAX 64
#define LN_MAX 256                      /* history entries: lines as main reads them */
#define CAND_MAX 64                     /* vfs holds at most 64 nodes */
#define CAND_LEN (HM_VFS_PATH_MAX + 2)  /* a name and a '/' */
#define CTRL(c) ((c) & 0x1f)
#define BELL '\a'

enum { K_UP = 0x100, K_DOWN, K_RIGHT, K_LEFT, K_HOME, K_END, K_DEL, K_WLEFT, K_WRIGHT };

static char hist[HIST_MAX][LN_MAX];
static unsigned hist_n, hist_first;   /* entries, and the ring slot of the oldest */
static int after_cr;                  /* the last byte was CR: a LF right after it is the same line end */

static char *hist_entry(unsigned k) { return hist[(hist_first + k) % HIST_MAX]; }

static void hist_add(const char *s)
{
    if (!s[strspn(s, " \t")] || (hist_n && !strcmp(hist_entry(hist_n - 1), s)))
        return;
    if (hist_n == HIST_MAX) {
        hist_first = (hist_first + 1) % HIST_MAX;
        hist_n--;
    }
    snprintf(hist_entry(hist_n++), LN_MAX, "%s", s);
}

struct ed {
    const char *prompt;
    char *buf;
    size_t cap;          /* buf's size: the line holds at most cap - 1 bytes */
    size_t len, cur;     /* buf[len] is always 0; the cursor is before buf[cur] */
    unsigned hpos;       /* the history entry shown; hist_n: the line being typed */
    char saved[LN_MAX];  /* the line being typed, while the history is shown */
};

static void left(size_t n)
{
    if (n)
        printf("\033[%luD", (unsigned long)n);
}

static void right(size_t n)
{
    if (n)
        printf("\033[%luC", (unsigned long)n);
}

/* the whole line again, cursor where it was */
static void refresh(struct ed *e)
{
    printf("\r%s", e->prompt);
    fwrite(e->buf, 1, e->len, stdout);
    fputs("\033[K", stdout);
    left(e->len - e->cur);
}

static void move_to(struct ed *e, size_t to)
{
    if (to < e->cur)
        left(e->cur - to);
    else
        right(to - e->cur);
    e->cur = to;
}

/* insert m bytes at the cursor, as many as fit (a full line takes no more,
 * as always) */
static void insert(struct ed *e, const char *s, size_t m)
{
    if (m > e->cap - 1 - e->len)
        m = e->cap - 1 - e->len;
    if (!m)
        return;
    memmove(e->buf + e->cur + m, e->buf + e->cur, e->len - e->cur + 1);
    memcpy(e->buf + e->cur, s, m);
    e->len += m;
    fwrite(e->buf + e->cur, 1, e->len - e->cur, stdout);   /* at the end of the line: just the new text */
    e->cur += m;
    left(e->len - e->cur);
}

/* delete buf[from, to) with from <= cur <= to; the cursor goes to from */
static void erase(struct ed *e, size_t from, size_t to)
{
    if (from == to)
        return;
    if (to == e->len && e->cur == to && to - from == 1) {
        fputs("\b \b", stdout);   /* a backspace at the end, echoed as always */
    } else {
        left(e->cur - from);
        fwrite(e->buf + to, 1, e->len - to, stdout);
        fputs("\033[K", stdout);
        left(e->len - to);
    }
    memmove(e->buf + from, e->buf + to, e->len - to + 1);
    e->len -= to - from;
    e->cur = from;
}

static size_t word_left(const struct ed *e)
{
    size_t i = e->cur;
    while (i && e->buf[i - 1] == ' ')
        i--;
    while (i && e->buf[i - 1] != ' ')
        i--;
    return i;
}

static size_t word_right(const struct ed *e)
{
    size_t i = e->cur;
    while (i < e->len && e->buf[i] == ' ')
        i++;
    while (i < e->len && e->buf[i] != ' ')
        i++;
    return i;
}

/* show history entry k (hist_n: the line being typed) */
static void hist_show(struct ed *e, unsigned k)
{
    if (e->hpos == hist_n)
        snprintf(e->saved, sizeof e->saved, "%s", e->buf);
    e->hpos = k;
    snprintf(e->buf, e->cap, "%s", k == hist_n ? e->saved : hist_entry(k));
    e->len = e->cur = strlen(e->buf);
    refresh(e);
}

/* ---- Tab completion ---- */

static struct {
    unsigned n;
    char s[CAND_MAX][CAND_LEN];
} cand;

static void cand_add(const char *name, const char *base, int dir)
{
    if (cand.n < CAND_MAX && !strncmp(name, base, strlen(base)))
        snprintf(cand.s[cand.n++], CAND_LEN, "%s%s", name, dir ? "/" : "");
}

/* the entries of directory dir whose names start with base */
static void cand_dir(const char *dir, const char *base)
{
    for (uint64_t i = 0; i < 2 * CAND_MAX; i++) {
        struct hm_msg m = { .w = { i } };
        if (vfs_req(HM_VFS_READDIR, dir, &m, 0))
            return;   /* ENOENT past the last entry; no completion from a missing directory */
        char name[HM_VFS_PATH_MAX];
        size_t l = strnlen((const char *)sh_buf.words, sizeof name - 1);
        memcpy(name, sh_buf.words, l);
        name[l] = 0;
        cand_add(name, base, m.w[0] == HM_VFS_DIR);
    }
}

/* the candidates in columns (sorted), then the prompt and line again */
static void cand_list(struct ed *e)
{
    size_t w = 0;
    for (unsigned i = 0; i < cand.n; i++) {
        for (unsigned j = i; j > 0 && strcmp(cand.s[j - 1], cand.s[j]) > 0; j--) {
            char t[CAND_LEN];
            memcpy(t, cand.s[j], CAND_LEN);
            memcpy(cand.s[j], cand.s[j - 1], CAND_LEN);
            memcpy(cand.s[j - 1], t, CAND_LEN);
        }
    }
    for (unsigned i = 0; i < cand.n; i++)
        if (strlen(cand.s[i]) > w)
            w = strlen(cand.s[i]);
    w += 2;
    unsigned cols = w < 80 ? (unsigned)(80 / w) : 1, rows = (cand.n + cols - 1) / cols;
    putchar('\n');
    for (unsigned r = 0; r < rows; r++) {
        for (unsigned c = 0; c < cols && c * rows + r < cand.n; c++) {
            const char *s = cand.s[c * rows + r];
            if (c + 1 == cols || (c + 1) * rows + r >= cand.n)
                fputs(s, stdout);   /* the last in its row: no padding */
            else
                printf("%-*s", (int)w, s);
        }
        putchar('\n');
    }
    refresh(e);
}

static void complete(struct ed *e, int second)
{
    /* the word the cursor ends, quotes as the tokenizer reads them */
    size_t start = 0;
    char quote = 0;
    for (size_t i = 0; i < e->cur; i++) {
        char c = e->buf[i];
        if (quote)
            quote = c == quote ? 0 : quote;
        else if (c == '"' || c == '\'')
            quote = c;
        else if (c == ' ' || c == '\t')
            start = i + 1;
    }
    char word[LN_MAX];
    size_t wl = 0;
    for (size_t i = start; i < e->cur && wl + 1 < sizeof word; i++)
        if (e->buf[i] != '"' && e->buf[i] != '\'')
            word[wl++] = e->buf[i];
    word[wl] = 0;
    int first = strspn(e->buf, " \t") >= start;

    const char *base;
    cand.n = 0;
    if (first) {
        base = word;
        for (unsigned i = 0; sh_command(i); i++)
            cand_add(sh_command(i), base, 0);
    } else {
        char *path = word, *eq = strchr(word, '=');
        if (word[0] != '/' && eq)
            path = eq + 1;   /* NAME=PATH, as dd's if= and of= */
        char *slash = strrchr(path, '/');
        if (!slash) {
            putchar(BELL);   /* paths are absolute: nothing to complete */
            return;
        }
        base = slash + 1;
        char dir[LN_MAX];
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
        cand_dir(dir, base);
    }
    size_t bl = strlen(base);
    if (cand.n == 0) {
        putchar(BELL);
    } else if (cand.n == 1) {
        const char *s = cand.s[0];
        insert(e, s + bl, strlen(s + bl));
        if (s[strlen(s) - 1] != '/') {
            if (quote)
                insert(e, &quote, 1);
            if (e->cur == e->len || e->buf[e->cur] != ' ')
                insert(e, " ", 1);
        }
    } else {
        size_t common = strlen(cand.s[0]);
        for (unsigned i = 1; i < cand.n; i++)
            for (size_t k = 0; k < common; k++)
                if (cand.s[i][k] != cand.s[0][k]) {
                    common = k;
                    break;
                }
        if (common > bl)
            insert(e, cand.s[0] + bl, common - bl);
        else if (second)
            cand_list(e);
        else
            putchar(BELL);
    }
}

/* ---- bytes to keys ---- */

struct esc {
    enum { NORMAL, ESC, CSI, SS3 } st;
    unsigned par[2], idx;   /* CSI's first two numeric parameters */
};

static int cursor_key(int c, unsigned mod)
{
    switch (c) {
    case 'A': return K_UP;
    case 'B': return K_DOWN;
    case 'C': return mod > 1 ? K_WRIGHT : K_RIGHT;   /* ESC[1;5C: Ctrl-Right */
    case 'D': return mod > 1 ? K_WLEFT : K_LEFT;
    case 'H': return K_HOME;
    case 'F': return K_END;
    default: return -1;
    }
}

/* one byte: the key it completes, or -1 if it only moved the parser on */
static int feed(struct esc *p, int c)
{
    switch (p->st) {
    case ESC:
        p->st = NORMAL;
        if (c == '[' || c == 'O') {
            p->st = c == '[' ? CSI : SS3;
            p->par[0] = p->par[1] = p->idx = 0;
            return -1;
        }
        if (c == 'b' || c == 'f')
            return c == 'b' ? K_WLEFT : K_WRIGHT;
        if (c == 0x7f || c == 0x08)
            return CTRL('W');   /* Alt-Backspace */
        if (c >= 0x20)
            return -1;          /* Alt and another key: not bound */
        break;                  /* a control byte ends the sequence and counts as itself */
    case CSI:
        if (c >= '0' && c <= '9') {
            if (p->idx < 2 && p->par[p->idx] < 10000)
                p->par[p->idx] = p->par[p->idx] * 10 + (unsigned)(c - '0');
            return -1;
        }
        if (c >= 0x20 && c <= 0x3f) {   /* other parameter and intermediate bytes */
            if (c == ';' && p->idx < 2)
                p->idx++;
            return -1;
        }
        p->st = NORMAL;
        if (c >= 0x40 && c <= 0x7e) {   /* the final byte */
            if (c != '~')
                return cursor_key(c, p->idx ? p->par[1] : 0);
            switch (p->par[0]) {
            case 1: case 7: return K_HOME;
            case 4: case 8: return K_END;
            case 3: return K_DEL;
            default: return -1;         /* Insert, Page Up/Down, F5.., bracketed paste's marks */
            }
        }
        break;
    case SS3:
        if (c >= 0x20 && c <= 0x3f)
            return -1;
        p->st = NORMAL;
        if (c >= 0x40 && c <= 0x7e)
            return cursor_key(c, 0);    /* ESC O A.., ESC O H/F; F1-F4 (ESC O P..S) are not bound */
        break;
    case NORMAL:
        break;
    }
    if (c == 0x1b) {
        p->st = ESC;
        return -1;
    }
    return c;
}

int line_read(const char *prompt, char *line, size_t n)
{
    static struct ed e;   /* 300 bytes: off the shell's stack */
    struct esc p = { .st = NORMAL };
    int tabs = 0;         /* Tabs in a row, this one included */
    if (n < 2)
        return -1;
    e.prompt = prompt;
    e.buf = line;
    e.cap = n;
    e.len = e.cur = 0;
    e.hpos = hist_n;
    line[0] = 0;
    fputs(prompt, stdout);
    fflush(stdout);
    for (;;) {
        int c = getchar();
        if (c == EOF)
            return -1;
        if (after_cr && c == '\n') {
            after_cr = 0;
            continue;
        }
        after_cr = c == '\r';
        int k = feed(&p, c);
        if (k < 0)
            continue;
        tabs = k == '\t' ? tabs + 1 : 0;
        switch (k) {
        case '\r':
        case '\n':
            putchar('\n');
            hist_add(line);
            return (int)e.len;
        case CTRL('C'):
            fputs("^C\n", stdout);
            line[0] = 0;
            return 0;
        case '\t':
            complete(&e, tabs >= 2);
            break;
        case 0x7f:
        case CTRL('H'):
            if (e.cur)
                erase(&e, e.cur - 1, e.cur);
            break;
        case K_DEL:
        case CTRL('D'):
            if (e.cur < e.len)
                erase(&e, e.cur, e.cur + 1);
            break;
        case K_LEFT:
        case CTRL('B'):
            if (e.cur)
                move_to(&e, e.cur - 1);
            break;
        case K_RIGHT:
        case CTRL('F'):
            if (e.cur < e.len)
                move_to(&e, e.cur + 1);
            break;
        case K_HOME:
        case CTRL('A'):
            move_to(&e, 0);
            break;
        case K_END:
        case CTRL('E'):
            move_to(&e, e.len);
            break;
        case K_WLEFT:
            move_to(&e, word_left(&e));
            break;
        case K_WRIGHT:
            move_to(&e, word_right(&e));
            break;
        case K_UP:
        case CTRL('P'):
            if (e.hpos > 0)
                hist_show(&e, e.hpos - 1);
            break;
        case K_DOWN:
        case CTRL('N'):
            if (e.hpos < hist_n)
                hist_show(&e, e.hpos + 1);
            break;
        case CTRL('U'):
            erase(&e, 0, e.cur);
            break;
        case CTRL('K'):
            fputs("\033[K", stdout);
            e.len = e.cur;
            line[e.len] = 0;
            break;
        case CTRL('W'):
            erase(&e, word_left(&e), e.cur);
            break;
        case CTRL('L'):
            fputs("\033[H\033[2J", stdout);
            refresh(&e);
            break;
        default:
            if (k >= 0x20 && k < 0x100) {
                char ch = (char)k;
                insert(&e, &ch, 1);
            }
            break;   /* other control bytes: ignored, as always */
        }
    }
}
