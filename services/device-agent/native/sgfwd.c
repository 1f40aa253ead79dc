/*
 * libsgfwd: a stand-in for SCSI generic (sg) device nodes, for tests.
 *
 * Device paths listed in TAPEFLEET_SGFWD are served by the virtual tape
 * library (`vtl serve`) over its UNIX socket instead of the kernel:
 *
 *   TAPEFLEET_SGFWD="/dev/sg-vtl0=/tmp/vtl.sock#lib1/drive0;/dev/sg-vtl1,/dev/tape/by-id/scsi-X=/tmp/vtl.sock#lib1/changer"
 *
 * Each entry is `path[,alias...]=socket#device-id`; entries are separated by
 * ';'. Opening a listed path (or alias) connects to the socket, sends the
 * OPEN frame and returns the connected socket as the file descriptor. On such
 * a descriptor, ioctl(SG_IO) is forwarded as one COMMAND frame, and the sg
 * ioctls that tools use before SG_IO are answered locally; stat/fstat report
 * a character device of major 21 (sg). Everything else goes to the next
 * definition (the C library) found with dlsym(RTLD_NEXT).
 *
 * Used two ways: loaded with koffi in place of libc by the SG_IO transport,
 * and with LD_PRELOAD so that mtx, sg3_utils and sdparm talk to the virtual
 * library as if it were /dev/sgN. A process that loads the library itself may
 * call sgfwd_add_devices(spec) / sgfwd_remove_devices(spec) instead of
 * setting the variable.
 * TAPEFLEET_SGFWD_DEBUG=1 reports unknown
 * ioctls on stderr; TAPEFLEET_SGFWD_GRACE_MS (default 5000) is how long a
 * command may stay unanswered past its own timeout before it ends with host
 * status DID_TIME_OUT. The configuration is re-read whenever the variable changes.
 *
 * Wire format: see packages/vtl (frames of u32 BE length + payload).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <scsi/scsi.h>
#include <scsi/sg.h>

#define SG_MAJOR 21
#define SG_VERSION 30536            /* sg driver 3.5.36, the v3 interface */
#define MAX_CDB 252                 /* SG_MAX_CDB_SIZE in the kernel */
#define MAX_TRANSFER (64u << 20)    /* largest data phase accepted */
#define DEFAULT_TIMEOUT_MS 60000u   /* sg_io_hdr.timeout 0 means the block layer default */
#define REPLY_GRACE_MS 5000         /* default wait beyond the command timeout before giving up */
#define USER_HZ 100
#define MAX_FD 65536

/* Frame kinds of the virtual library protocol. */
#define FRAME_OPEN 0x01
#define FRAME_COMMAND 0x02
#define FRAME_OPEN_REPLY 0x81
#define FRAME_COMMAND_REPLY 0x82

/* Host and driver status values (linux scsi.h / sg driver). */
#define HOST_OK 0x00
#define HOST_NO_CONNECT 0x01
#define HOST_TIME_OUT 0x03
#define HOST_ERROR 0x07
#define DRIVER_SENSE_FLAG 0x08

/* Not in glibc's <scsi/sg.h> (linux/include/uapi/scsi/sg.h has them). */
#ifndef SG_DXFER_UNKNOWN
#define SG_DXFER_UNKNOWN -5
#endif
#ifndef SG_GET_ACCESS_COUNT
#define SG_GET_ACCESS_COUNT 0x2289
#endif

struct device_conf {
  char *path;
  char **aliases;
  int n_aliases;
  char *socket_path;
  char *device_id;
};

struct open_dev {
  int fd;
  int index;             /* position in the configuration: minor number and SCSI id */
  int scsi_type;         /* 1 tape, 8 changer (from the OPEN reply) */
  int broken;            /* the connection lost sync: reconnect before the next command */
  int timeout_user;      /* SG_SET_TIMEOUT value, in USER_HZ ticks */
  int reserved_size;
  int flags;
  char *socket_path;
  char *device_id;
  pthread_mutex_t lock;  /* one command at a time per handle */
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct device_conf *g_conf;
static int g_nconf;
static char *g_conf_text;
static struct open_dev *g_fds[MAX_FD];

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*close_fn)(int);
typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef int (*stat_fn)(const char *, struct stat *);
typedef int (*fstat_fn)(int, struct stat *);
typedef int (*fstatat_fn)(int, const char *, struct stat *, int);
typedef int (*stat64_fn)(const char *, struct stat64 *);
typedef int (*fstat64_fn)(int, struct stat64 *);
typedef int (*fstatat64_fn)(int, const char *, struct stat64 *, int);
typedef int (*xstat_fn)(int, const char *, struct stat *);
typedef int (*fxstat_fn)(int, int, struct stat *);
typedef int (*xstat64_fn)(int, const char *, struct stat64 *);
typedef int (*fxstat64_fn)(int, int, struct stat64 *);
typedef int (*statx_fn)(int, const char *, int, unsigned int, struct statx *);
typedef char *(*realpath_fn)(const char *, char *);

static void *next_sym(const char *name) {
  void *p = dlsym(RTLD_NEXT, name);
  if (p == NULL) p = dlsym(RTLD_DEFAULT, name);
  return p;
}

#define NEXT(type, name) ((type)next_sym(name))

/* Set by sgfwd_set_grace_ms(); negative: use the environment. */
static volatile int64_t g_grace_override = -1;

/* sgfwd_set_grace_ms() or TAPEFLEET_SGFWD_GRACE_MS: how long to wait past a command's timeout. */
static int64_t reply_grace_ms(void) {
  if (g_grace_override >= 0) return g_grace_override;
  const char *g = getenv("TAPEFLEET_SGFWD_GRACE_MS");
  if (g == NULL || *g == '\0') return REPLY_GRACE_MS;
  char *end = NULL;
  long long v = strtoll(g, &end, 10);
  return (end != NULL && *end == '\0' && v >= 0) ? (int64_t)v : REPLY_GRACE_MS;
}

static int debug_enabled(void) {
  const char *d = getenv("TAPEFLEET_SGFWD_DEBUG");
  return d != NULL && d[0] != '\0' && d[0] != '0';
}

/* ---------------------------------------------------------------- config */

static void free_conf(void) {
  for (int i = 0; i < g_nconf; i++) {
    free(g_conf[i].path);
    for (int j = 0; j < g_conf[i].n_aliases; j++) free(g_conf[i].aliases[j]);
    free(g_conf[i].aliases);
    free(g_conf[i].socket_path);
    free(g_conf[i].device_id);
  }
  free(g_conf);
  g_conf = NULL;
  g_nconf = 0;
}

static char *dup_range(const char *s, size_t n) {
  char *r = malloc(n + 1);
  if (r == NULL) return NULL;
  memcpy(r, s, n);
  r[n] = '\0';
  return r;
}

/* Parses one `path[,alias...]=socket#device` entry; ignores malformed ones. */
static void parse_entry(const char *s, size_t n) {
  const char *eq = memchr(s, '=', n);
  if (eq == NULL) return;
  const char *hash = memchr(eq, '#', (size_t)(s + n - eq));
  if (hash == NULL || hash == eq + 1 || hash == s + n - 1) return;
  struct device_conf c = {0};
  const char *p = s;
  while (p < eq) {
    const char *comma = memchr(p, ',', (size_t)(eq - p));
    const char *end = comma != NULL ? comma : eq;
    if (end > p) {
      char *name = dup_range(p, (size_t)(end - p));
      if (c.path == NULL) {
        c.path = name;
      } else {
        char **a = realloc(c.aliases, sizeof(char *) * (size_t)(c.n_aliases + 1));
        if (a == NULL) { free(name); break; }
        c.aliases = a;
        c.aliases[c.n_aliases++] = name;
      }
    }
    p = end + 1;
  }
  if (c.path == NULL) return;
  c.socket_path = dup_range(eq + 1, (size_t)(hash - eq - 1));
  c.device_id = dup_range(hash + 1, (size_t)(s + n - hash - 1));
  struct device_conf *grown = realloc(g_conf, sizeof(*g_conf) * (size_t)(g_nconf + 1));
  if (grown == NULL) return;
  g_conf = grown;
  g_conf[g_nconf++] = c;
}

/* Entries added with sgfwd_add_devices(), one `path[,alias...]=socket#id`
 * each; while there are any, they are the configuration instead of the
 * environment. */
static char **g_added;
static int g_nadded;
static char *g_added_text;

/* Rebuilds g_added_text from g_added. Caller holds g_lock. */
static void join_added(void) {
  free(g_added_text);
  g_added_text = NULL;
  if (g_nadded == 0) return;
  size_t n = 1;
  for (int i = 0; i < g_nadded; i++) n += strlen(g_added[i]) + 1;
  g_added_text = malloc(n);
  if (g_added_text == NULL) return;
  g_added_text[0] = '\0';
  for (int i = 0; i < g_nadded; i++) {
    if (i > 0) strcat(g_added_text, ";");
    strcat(g_added_text, g_added[i]);
  }
}

/* Re-reads the configuration when it changed. Caller holds g_lock. */
static void refresh_conf(void) {
  const char *text = g_added_text != NULL ? g_added_text : getenv("TAPEFLEET_SGFWD");
  if (text == NULL) text = "";
  if (g_conf_text != NULL && strcmp(g_conf_text, text) == 0) return;
  free_conf();
  free(g_conf_text);
  g_conf_text = strdup(text);
  const char *p = text;
  while (*p != '\0') {
    const char *semi = strchr(p, ';');
    size_t n = semi != NULL ? (size_t)(semi - p) : strlen(p);
    if (n > 0) parse_entry(p, n);
    if (semi == NULL) break;
    p = semi + 1;
  }
}

/* Index of the configured device for an absolute path or alias, or -1. Caller holds g_lock. */
static int find_device_locked(const char *path) {
  if (path == NULL || path[0] != '/') return -1;
  refresh_conf();
  for (int i = 0; i < g_nconf; i++) {
    if (strcmp(g_conf[i].path, path) == 0) return i;
    for (int j = 0; j < g_conf[i].n_aliases; j++)
      if (strcmp(g_conf[i].aliases[j], path) == 0) return i;
  }
  return -1;
}

static int find_device(const char *path) {
  if (path == NULL || path[0] != '/') return -1;
  pthread_mutex_lock(&g_lock);
  int found = find_device_locked(path);
  pthread_mutex_unlock(&g_lock);
  return found;
}

static struct open_dev *lookup_fd(int fd) {
  if (fd < 0 || fd >= MAX_FD) return NULL;
  pthread_mutex_lock(&g_lock);
  struct open_dev *d = g_fds[fd];
  pthread_mutex_unlock(&g_lock);
  return d;
}

/* ------------------------------------------------------------ socket I/O */

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes all bytes; tolerates O_NONBLOCK set on the descriptor by the caller. */
static int send_all(int fd, const uint8_t *buf, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        poll(&p, 1, 1000);
        continue;
      }
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Reads exactly len bytes before the deadline (ms, monotonic; <0 = none).
 * Returns 0, -1 on error or end of stream, -2 on deadline. */
static int recv_all(int fd, uint8_t *buf, size_t len, int64_t deadline) {
  while (len > 0) {
    int wait = -1;
    if (deadline >= 0) {
      int64_t left = deadline - now_ms();
      if (left <= 0) return -2;
      wait = left > INT_MAX ? INT_MAX : (int)left;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, wait);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) return -2;
    ssize_t n = recv(fd, buf, len, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return -1;
    }
    if (n == 0) return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Receives one frame; *out is malloc'ed. Same return codes as recv_all. */
static int recv_frame(int fd, uint8_t **out, uint32_t *out_len, int64_t deadline) {
  uint8_t hdr[4];
  int r = recv_all(fd, hdr, 4, deadline);
  if (r != 0) return r;
  uint32_t len = get_be32(hdr);
  if (len == 0 || len > MAX_TRANSFER + 4096u) return -1;
  uint8_t *buf = malloc(len);
  if (buf == NULL) return -1;
  r = recv_all(fd, buf, len, deadline);
  if (r != 0) {
    free(buf);
    return r;
  }
  *out = buf;
  *out_len = len;
  return 0;
}

/* Connects to the socket and opens the device. Returns the socket fd and the
 * SCSI peripheral type, or -1 with errno set (ENXIO: no server or device
 * offline, ENODEV: no such device). */
static int connect_device(const char *socket_path, const char *device_id, int cloexec, int *scsi_type) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (strlen(socket_path) >= sizeof(addr.sun_path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(addr.sun_path, socket_path);
  int fd = socket(AF_UNIX, SOCK_STREAM | (cloexec ? SOCK_CLOEXEC : 0), 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
    NEXT(close_fn, "close")(fd);
    errno = ENXIO;
    return -1;
  }
  size_t id_len = strlen(device_id);
  uint8_t *req = malloc(5 + id_len);
  if (req == NULL) {
    NEXT(close_fn, "close")(fd);
    errno = ENOMEM;
    return -1;
  }
  put_be32(req, (uint32_t)(1 + id_len));
  req[4] = FRAME_OPEN;
  memcpy(req + 5, device_id, id_len);
  int ok = send_all(fd, req, 5 + id_len);
  free(req);
  uint8_t *reply = NULL;
  uint32_t reply_len = 0;
  if (ok != 0 || recv_frame(fd, &reply, &reply_len, now_ms() + 30000) != 0 || reply_len < 2 ||
      reply[0] != FRAME_OPEN_REPLY) {
    free(reply);
    NEXT(close_fn, "close")(fd);
    errno = ENXIO;
    return -1;
  }
  int result = reply[1];
  if (result != 0) {
    free(reply);
    NEXT(close_fn, "close")(fd);
    errno = result == 1 ? ENODEV : ENXIO;
    return -1;
  }
  /* The reply JSON names the device type; only "changer" needs telling apart. */
  char *json = (char *)dup_range((const char *)reply + 2, reply_len - 2);
  int changer = json != NULL && (strstr(json, "\"type\":\"changer\"") != NULL || strstr(json, "\"type\": \"changer\"") != NULL);
  *scsi_type = changer ? TYPE_MEDIUM_CHANGER : TYPE_TAPE;
  free(json);
  free(reply);
  return fd;
}

static int open_forwarded(const char *path, int flags) {
  pthread_mutex_lock(&g_lock);
  int index = find_device_locked(path);
  if (index < 0) {
    pthread_mutex_unlock(&g_lock);
    errno = ENODEV;
    return -1;
  }
  char *socket_path = strdup(g_conf[index].socket_path);
  char *device_id = strdup(g_conf[index].device_id);
  pthread_mutex_unlock(&g_lock);
  int scsi_type = TYPE_TAPE;
  int fd = connect_device(socket_path, device_id, (flags & O_CLOEXEC) != 0, &scsi_type);
  if (fd < 0 || fd >= MAX_FD) {
    int saved = errno;
    if (fd >= 0) NEXT(close_fn, "close")(fd);
    free(socket_path);
    free(device_id);
    errno = fd >= MAX_FD ? EMFILE : saved;
    return -1;
  }
  struct open_dev *d = calloc(1, sizeof(*d));
  if (d == NULL) {
    NEXT(close_fn, "close")(fd);
    free(socket_path);
    free(device_id);
    errno = ENOMEM;
    return -1;
  }
  d->fd = fd;
  d->index = index;
  d->scsi_type = scsi_type;
  d->timeout_user = 60 * USER_HZ;
  d->reserved_size = SG_DEF_RESERVED_SIZE;
  d->flags = flags;
  d->socket_path = socket_path;
  d->device_id = device_id;
  pthread_mutex_init(&d->lock, NULL);
  pthread_mutex_lock(&g_lock);
  struct open_dev *stale = g_fds[fd]; /* left by a close that bypassed us */
  g_fds[fd] = d;
  pthread_mutex_unlock(&g_lock);
  if (stale != NULL) {
    pthread_mutex_destroy(&stale->lock);
    free(stale->socket_path);
    free(stale->device_id);
    free(stale);
  }
  return fd;
}

/* Replaces a desynchronized connection by a fresh one on the same fd number. */
static int reconnect(struct open_dev *d) {
  int type = d->scsi_type;
  int fresh = connect_device(d->socket_path, d->device_id, (d->flags & O_CLOEXEC) != 0, &type);
  if (fresh < 0) return -1;
  int r = dup2(fresh, d->fd);
  NEXT(close_fn, "close")(fresh);
  if (r < 0) return -1;
  d->broken = 0;
  return 0;
}

/* ------------------------------------------------------------------ SG_IO */

/* Copies between a flat buffer and the caller's data area (flat or iovec). */
static void copy_user(const sg_io_hdr_t *h, uint8_t *flat, size_t len, int to_user) {
  if (h->iovec_count == 0) {
    if (to_user) memcpy(h->dxferp, flat, len);
    else memcpy(flat, h->dxferp, len);
    return;
  }
  const sg_iovec_t *iov = (const sg_iovec_t *)h->dxferp;
  size_t off = 0;
  for (unsigned i = 0; i < h->iovec_count && off < len; i++) {
    size_t n = iov[i].iov_len;
    if (n > len - off) n = len - off;
    if (to_user) memcpy(iov[i].iov_base, flat + off, n);
    else memcpy(flat + off, iov[i].iov_base, n);
    off += n;
  }
}

static size_t user_length(const sg_io_hdr_t *h) {
  if (h->iovec_count == 0) return h->dxfer_len;
  const sg_iovec_t *iov = (const sg_iovec_t *)h->dxferp;
  size_t total = 0;
  for (unsigned i = 0; i < h->iovec_count; i++) total += iov[i].iov_len;
  return total < h->dxfer_len ? total : h->dxfer_len;
}

static void finish_header(sg_io_hdr_t *h, int64_t started) {
  h->masked_status = (unsigned char)((h->status >> 1) & 0x7f);
  h->msg_status = 0;
  h->duration = (unsigned int)(now_ms() - started);
  h->info = (h->masked_status || h->host_status || h->driver_status) ? SG_INFO_CHECK : SG_INFO_OK;
}

static int do_sg_io(struct open_dev *d, sg_io_hdr_t *h) {
  if (h == NULL) {
    errno = EFAULT;
    return -1;
  }
  if (h->interface_id != 'S') {
    errno = ENOSYS;
    return -1;
  }
  if (h->cmdp == NULL || h->cmd_len < 6 || h->cmd_len > MAX_CDB) {
    errno = EMSGSIZE;
    return -1;
  }
  if (h->dxfer_len > MAX_TRANSFER) {
    errno = ENOMEM;
    return -1;
  }
  if (h->dxfer_len > 0 && h->dxferp == NULL && h->dxfer_direction != SG_DXFER_NONE) {
    errno = EFAULT;
    return -1;
  }
  int direction = 0; /* wire: 0 none, 1 out, 2 in */
  size_t len = h->dxfer_len > 0 && h->dxferp != NULL ? user_length(h) : 0;
  switch (h->dxfer_direction) {
    case SG_DXFER_NONE: direction = 0; len = 0; break;
    case SG_DXFER_TO_DEV: direction = 1; break;
    case SG_DXFER_FROM_DEV:
    case SG_DXFER_TO_FROM_DEV:
    case SG_DXFER_UNKNOWN: direction = len > 0 ? 2 : 0; break;
    default: errno = EINVAL; return -1;
  }
  if (direction == 0) len = 0;
  unsigned int timeout = h->timeout != 0 ? h->timeout : DEFAULT_TIMEOUT_MS;
  int64_t started = now_ms();

  h->status = 0;
  h->sb_len_wr = 0;
  h->host_status = HOST_OK;
  h->driver_status = 0;
  h->resid = 0;

  pthread_mutex_lock(&d->lock);
  if (d->broken && reconnect(d) != 0) {
    pthread_mutex_unlock(&d->lock);
    h->host_status = HOST_NO_CONNECT;
    h->resid = (int)len;
    finish_header(h, started);
    return 0;
  }
  size_t out_len = direction == 1 ? len : 0;
  size_t payload = 12 + h->cmd_len + out_len; /* after the u32 length: 12-byte header, cdb, data */
  uint8_t *req = malloc(4 + payload);
  if (req == NULL) {
    pthread_mutex_unlock(&d->lock);
    errno = ENOMEM;
    return -1;
  }
  put_be32(req, (uint32_t)payload);
  req[4] = FRAME_COMMAND;
  req[5] = (uint8_t)direction;
  req[6] = h->cmd_len;
  req[7] = 0;
  put_be32(req + 8, direction == 2 ? (uint32_t)len : 0);
  put_be32(req + 12, timeout);
  memcpy(req + 16, h->cmdp, h->cmd_len);
  if (out_len > 0) copy_user(h, req + 16 + h->cmd_len, out_len, 0);
  int sent = send_all(d->fd, req, 4 + payload);
  free(req);

  uint8_t *reply = NULL;
  uint32_t reply_len = 0;
  int r = sent == 0 ? recv_frame(d->fd, &reply, &reply_len, started + timeout + reply_grace_ms()) : -1;
  if (r != 0 || reply_len < 8 || reply[0] != FRAME_COMMAND_REPLY) {
    /* No usable answer: the stream is out of step, start over next time. */
    free(reply);
    d->broken = 1;
    pthread_mutex_unlock(&d->lock);
    h->host_status = r == -2 ? HOST_TIME_OUT : (r == 0 ? HOST_ERROR : HOST_NO_CONNECT);
    h->resid = (int)len;
    finish_header(h, started);
    return 0;
  }
  pthread_mutex_unlock(&d->lock);

  uint8_t sense_len = reply[2];
  uint32_t residual = get_be32(reply + 4);
  if ((uint32_t)8 + sense_len > reply_len) sense_len = (uint8_t)(reply_len - 8);
  const uint8_t *sense = reply + 8;
  const uint8_t *data = sense + sense_len;
  size_t data_len = reply_len - 8 - sense_len;
  h->status = reply[1];
  h->host_status = reply[3];
  if (direction == 2) {
    if (data_len > len) data_len = len;
    if (data_len > 0) copy_user(h, (uint8_t *)data, data_len, 1);
    h->resid = (int)(len - data_len);
  } else {
    h->resid = (int)(residual > len ? len : residual);
  }
  if (sense_len > 0 && h->sbp != NULL && h->mx_sb_len > 0) {
    size_t n = sense_len < h->mx_sb_len ? sense_len : h->mx_sb_len;
    memcpy(h->sbp, sense, n);
    h->sb_len_wr = (unsigned char)n;
  }
  if (sense_len > 0) h->driver_status = DRIVER_SENSE_FLAG;
  free(reply);
  finish_header(h, started);
  return 0;
}

/* ------------------------------------------------------------- other ioctls */

static int sg_ioctl(struct open_dev *d, unsigned long request, void *arg) {
  switch (request) {
    case SG_IO:
      return do_sg_io(d, (sg_io_hdr_t *)arg);
    case SG_GET_VERSION_NUM:
      if (arg == NULL) break;
      *(int *)arg = SG_VERSION;
      return 0;
    case SG_GET_TIMEOUT:
      return d->timeout_user;
    case SG_SET_TIMEOUT:
      if (arg == NULL) break;
      if (*(int *)arg < 0) {
        errno = EIO;
        return -1;
      }
      d->timeout_user = *(int *)arg;
      return 0;
    case SG_GET_RESERVED_SIZE:
      if (arg == NULL) break;
      *(int *)arg = d->reserved_size;
      return 0;
    case SG_SET_RESERVED_SIZE:
      if (arg == NULL) break;
      if (*(int *)arg < 0) {
        errno = EINVAL;
        return -1;
      }
      d->reserved_size = *(int *)arg > (int)MAX_TRANSFER ? (int)MAX_TRANSFER : *(int *)arg;
      return 0;
    case SG_GET_SCSI_ID: {
      if (arg == NULL) break;
      struct sg_scsi_id *id = arg;
      memset(id, 0, sizeof(*id));
      id->host_no = 0;
      id->channel = 0;
      id->scsi_id = d->index;
      id->lun = 0;
      id->scsi_type = d->scsi_type;
      id->h_cmd_per_lun = 1;
      id->d_queue_depth = 1;
      return 0;
    }
    case SCSI_IOCTL_GET_IDLUN: {
      if (arg == NULL) break;
      int *idlun = arg;
      idlun[0] = (d->index & 0xff); /* id | lun << 8 | channel << 16 | host << 24 */
      idlun[1] = 0;                 /* host unique id */
      return 0;
    }
    case SCSI_IOCTL_GET_BUS_NUMBER:
      if (arg == NULL) break;
      *(int *)arg = 0;
      return 0;
    case SG_EMULATED_HOST:
    case SG_GET_LOW_DMA:
    case SG_GET_NUM_WAITING:
    case SG_GET_KEEP_ORPHAN:
    case SG_GET_TRANSFORM:
      if (arg == NULL) break;
      *(int *)arg = 0;
      return 0;
    case SG_GET_PACK_ID:
      if (arg == NULL) break;
      *(int *)arg = -1;
      return 0;
    case SG_GET_COMMAND_Q:
    case SG_GET_ACCESS_COUNT:
      if (arg == NULL) break;
      *(int *)arg = 1;
      return 0;
    case SG_GET_SG_TABLESIZE:
      if (arg == NULL) break;
      *(int *)arg = 256;
      return 0;
    case SG_GET_REQUEST_TABLE:
      if (arg == NULL) break;
      memset(arg, 0, sizeof(sg_req_info_t) * SG_MAX_QUEUE);
      return 0;
    case SG_SET_COMMAND_Q:
    case SG_SET_FORCE_PACK_ID:
    case SG_SET_KEEP_ORPHAN:
    case SG_SET_FORCE_LOW_DMA:
    case SG_SET_DEBUG:
    case SG_NEXT_CMD_LEN:
    case SG_SET_TRANSFORM:
    case SG_SCSI_RESET:
      return 0;
    default:
      if (debug_enabled()) fprintf(stderr, "sgfwd: unsupported ioctl 0x%lx on %s\n", request, d->device_id);
      errno = ENOTTY;
      return -1;
  }
  errno = EFAULT;
  return -1;
}

/* ------------------------------------------------------------ stat family */

static void fill_stat(int index, struct stat *st) {
  memset(st, 0, sizeof(*st));
  st->st_dev = makedev(0, 5);
  st->st_ino = (ino_t)(1000 + index);
  st->st_mode = S_IFCHR | 0660;
  st->st_nlink = 1;
  st->st_rdev = makedev(SG_MAJOR, (unsigned)index);
  st->st_blksize = 4096;
}

static void fill_stat64(int index, struct stat64 *st) {
  struct stat s;
  fill_stat(index, &s);
  memset(st, 0, sizeof(*st));
  st->st_dev = s.st_dev;
  st->st_ino = s.st_ino;
  st->st_mode = s.st_mode;
  st->st_nlink = s.st_nlink;
  st->st_rdev = s.st_rdev;
  st->st_blksize = s.st_blksize;
}

static int fd_index(int fd) {
  struct open_dev *d = lookup_fd(fd);
  return d != NULL ? d->index : -1;
}

/* ------------------------------------------------------- configuration API */

/* Length of an entry's first path (up to ',' or '='). */
static size_t entry_key_length(const char *e, size_t n) {
  size_t k = 0;
  while (k < n && e[k] != ',' && e[k] != '=') k++;
  return k;
}

/* Drops added entries whose first path equals that of e[0..n). Caller holds g_lock. */
static void drop_added(const char *e, size_t n) {
  size_t k = entry_key_length(e, n);
  int w = 0;
  for (int i = 0; i < g_nadded; i++) {
    size_t ki = entry_key_length(g_added[i], strlen(g_added[i]));
    if (ki == k && strncmp(g_added[i], e, k) == 0) {
      free(g_added[i]);
    } else {
      g_added[w++] = g_added[i];
    }
  }
  g_nadded = w;
}

/* Calls fn for each non-empty ';'-separated entry of spec. Caller holds g_lock. */
static void each_entry(const char *spec, void (*fn)(const char *, size_t)) {
  const char *p = spec;
  while (*p != '\0') {
    const char *semi = strchr(p, ';');
    size_t n = semi != NULL ? (size_t)(semi - p) : strlen(p);
    if (n > 0) fn(p, n);
    if (semi == NULL) break;
    p = semi + 1;
  }
}

static void add_entry(const char *e, size_t n) {
  drop_added(e, n);
  char **grown = realloc(g_added, sizeof(char *) * (size_t)(g_nadded + 1));
  if (grown == NULL) return;
  g_added = grown;
  char *copy = dup_range(e, n);
  if (copy != NULL) g_added[g_nadded++] = copy;
}

/* Adds devices (same syntax as TAPEFLEET_SGFWD) for this process, replacing
 * entries with the same device path. While any are added, they are the
 * configuration instead of the environment: for a process that loads the
 * library itself (koffi), whose threads may not share one environment.
 * Returns the number of added entries. */
int sgfwd_add_devices(const char *spec) {
  if (spec == NULL) return -1;
  pthread_mutex_lock(&g_lock);
  each_entry(spec, add_entry);
  join_added();
  int n = g_nadded;
  pthread_mutex_unlock(&g_lock);
  return n;
}

/* Removes the added devices with the device paths of spec. Returns the number left. */
int sgfwd_remove_devices(const char *spec) {
  if (spec == NULL) return -1;
  pthread_mutex_lock(&g_lock);
  each_entry(spec, drop_added);
  join_added();
  int n = g_nadded;
  pthread_mutex_unlock(&g_lock);
  return n;
}

/* Sets the grace period past a command's timeout (ms); negative goes back to
 * TAPEFLEET_SGFWD_GRACE_MS or the default. Returns 0. */
int sgfwd_set_grace_ms(long long ms) {
  g_grace_override = ms;
  return 0;
}

/* ---------------------------------------------------- exported interposers */

int open(const char *path, int flags, ...) {
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) {
    va_list ap;
    va_start(ap, flags);
    mode = (mode_t)va_arg(ap, int);
    va_end(ap);
  }
  if (find_device(path) >= 0) return open_forwarded(path, flags);
  return NEXT(open_fn, "open")(path, flags, mode);
}

int open64(const char *path, int flags, ...) {
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) {
    va_list ap;
    va_start(ap, flags);
    mode = (mode_t)va_arg(ap, int);
    va_end(ap);
  }
  if (find_device(path) >= 0) return open_forwarded(path, flags);
  return NEXT(open_fn, "open64")(path, flags, mode);
}

int __open_2(const char *path, int flags) {
  if (find_device(path) >= 0) return open_forwarded(path, flags);
  return NEXT(open2_fn, "__open_2")(path, flags);
}

int __open64_2(const char *path, int flags) {
  if (find_device(path) >= 0) return open_forwarded(path, flags);
  return NEXT(open2_fn, "__open64_2")(path, flags);
}

int openat(int dirfd, const char *path, int flags, ...) {
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) {
    va_list ap;
    va_start(ap, flags);
    mode = (mode_t)va_arg(ap, int);
    va_end(ap);
  }
  if (find_device(path) >= 0) return open_forwarded(path, flags);
  return NEXT(openat_fn, "openat")(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) {
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) {
    va_list ap;
    va_start(ap, flags);
    mode = (mode_t)va_arg(ap, int);
    va_end(ap);
  }
  if (find_device(path) >= 0) return open_forwarded(path, flags);
  return NEXT(openat_fn, "openat64")(dirfd, path, flags, mode);
}

int close(int fd) {
  if (fd >= 0 && fd < MAX_FD) {
    pthread_mutex_lock(&g_lock);
    struct open_dev *d = g_fds[fd];
    g_fds[fd] = NULL;
    pthread_mutex_unlock(&g_lock);
    if (d != NULL) {
      pthread_mutex_lock(&d->lock);
      pthread_mutex_unlock(&d->lock);
      pthread_mutex_destroy(&d->lock);
      free(d->socket_path);
      free(d->device_id);
      free(d);
    }
  }
  return NEXT(close_fn, "close")(fd);
}

int ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  struct open_dev *d = lookup_fd(fd);
  if (d != NULL) return sg_ioctl(d, request, arg);
  return NEXT(ioctl_fn, "ioctl")(fd, request, arg);
}

char *realpath(const char *path, char *resolved) {
  int i = find_device(path);
  if (i >= 0) {
    pthread_mutex_lock(&g_lock);
    const char *main_path = i < g_nconf ? g_conf[i].path : path;
    char *out = resolved != NULL ? resolved : malloc(PATH_MAX);
    if (out != NULL) {
      strncpy(out, main_path, PATH_MAX - 1);
      out[PATH_MAX - 1] = '\0';
    }
    pthread_mutex_unlock(&g_lock);
    return out;
  }
  return NEXT(realpath_fn, "realpath")(path, resolved);
}

int stat(const char *path, struct stat *st) {
  int i = find_device(path);
  if (i >= 0) { fill_stat(i, st); return 0; }
  return NEXT(stat_fn, "stat")(path, st);
}

int lstat(const char *path, struct stat *st) {
  int i = find_device(path);
  if (i >= 0) { fill_stat(i, st); return 0; }
  return NEXT(stat_fn, "lstat")(path, st);
}

int fstat(int fd, struct stat *st) {
  int i = fd_index(fd);
  if (i >= 0) { fill_stat(i, st); return 0; }
  return NEXT(fstat_fn, "fstat")(fd, st);
}

int fstatat(int dirfd, const char *path, struct stat *st, int flags) {
  int i = (path[0] == '\0' && (flags & AT_EMPTY_PATH)) ? fd_index(dirfd) : find_device(path);
  if (i >= 0) { fill_stat(i, st); return 0; }
  return NEXT(fstatat_fn, "fstatat")(dirfd, path, st, flags);
}

int stat64(const char *path, struct stat64 *st) {
  int i = find_device(path);
  if (i >= 0) { fill_stat64(i, st); return 0; }
  return NEXT(stat64_fn, "stat64")(path, st);
}

int lstat64(const char *path, struct stat64 *st) {
  int i = find_device(path);
  if (i >= 0) { fill_stat64(i, st); return 0; }
  return NEXT(stat64_fn, "lstat64")(path, st);
}

int fstat64(int fd, struct stat64 *st) {
  int i = fd_index(fd);
  if (i >= 0) { fill_stat64(i, st); return 0; }
  return NEXT(fstat64_fn, "fstat64")(fd, st);
}

int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags) {
  int i = (path[0] == '\0' && (flags & AT_EMPTY_PATH)) ? fd_index(dirfd) : find_device(path);
  if (i >= 0) { fill_stat64(i, st); return 0; }
  return NEXT(fstatat64_fn, "fstatat64")(dirfd, path, st, flags);
}

/* Pre-2.33 glibc entry points, still called by older binaries. */
int __xstat(int ver, const char *path, struct stat *st) {
  int i = find_device(path);
  if (i >= 0) { fill_stat(i, st); return 0; }
  return NEXT(xstat_fn, "__xstat")(ver, path, st);
}

int __lxstat(int ver, const char *path, struct stat *st) {
  int i = find_device(path);
  if (i >= 0) { fill_stat(i, st); return 0; }
  return NEXT(xstat_fn, "__lxstat")(ver, path, st);
}

int __fxstat(int ver, int fd, struct stat *st) {
  int i = fd_index(fd);
  if (i >= 0) { fill_stat(i, st); return 0; }
  return NEXT(fxstat_fn, "__fxstat")(ver, fd, st);
}

int __xstat64(int ver, const char *path, struct stat64 *st) {
  int i = find_device(path);
  if (i >= 0) { fill_stat64(i, st); return 0; }
  return NEXT(xstat64_fn, "__xstat64")(ver, path, st);
}

int __lxstat64(int ver, const char *path, struct stat64 *st) {
  int i = find_device(path);
  if (i >= 0) { fill_stat64(i, st); return 0; }
  return NEXT(xstat64_fn, "__lxstat64")(ver, path, st);
}

int __fxstat64(int ver, int fd, struct stat64 *st) {
  int i = fd_index(fd);
  if (i >= 0) { fill_stat64(i, st); return 0; }
  return NEXT(fxstat64_fn, "__fxstat64")(ver, fd, st);
}

int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *stx) {
  int i = (path[0] == '\0' && (flags & AT_EMPTY_PATH)) ? fd_index(dirfd) : find_device(path);
  if (i >= 0) {
    memset(stx, 0, sizeof(*stx));
    stx->stx_mask = STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_INO;
    stx->stx_blksize = 4096;
    stx->stx_nlink = 1;
    stx->stx_mode = S_IFCHR | 0660;
    stx->stx_ino = (uint64_t)(1000 + i);
    stx->stx_rdev_major = SG_MAJOR;
    stx->stx_rdev_minor = (uint32_t)i;
    stx->stx_dev_major = 0;
    stx->stx_dev_minor = 5;
    return 0;
  }
  return NEXT(statx_fn, "statx")(dirfd, path, flags, mask, stx);
}
