/*
 * authd's socket: a Unix stream listener, one bufferevent per connection,
 * SO_PEERCRED checked on accept.  Frames are cut with ipc_frame_take and
 * checked header first against the permit table (before the body is
 * buffered), then handed to it.  A peer that sends a
 * malformed frame loses its connection, never the process.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "common/log.h"
#include "authd/authd.h"

static void aconn_read(struct bufferevent *bev, void *arg);
static void aconn_event(struct bufferevent *bev, short what, void *arg);

void
aconn_free(struct aconn *ac)
{
	struct authd *ad;

	if (ac == NULL)
		return;
	ad = ac->ac_authd;
	TAILQ_REMOVE(&ad->ad_conns, ac, ac_entry);
	ad->ad_nconns--;
	log_debug("connection %llu closed", (unsigned long long)ac->ac_serial);
	bufferevent_free(ac->ac_bev);
	free(ac);
}

struct aconn *
aconn_find(struct authd *ad, uint64_t serial)
{
	struct aconn *ac;

	TAILQ_FOREACH(ac, &ad->ad_conns, ac_entry)
		if (ac->ac_serial == serial)
			return ac;
	return NULL;
}

int
aconn_send(struct aconn *ac, struct buf *frame)
{
	return evbuffer_add(
	    bufferevent_get_output(ac->ac_bev), frame->b_data, frame->b_len);
}

static void
aconn_read(struct bufferevent *bev, void *arg)
{
	struct aconn *ac = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	unsigned char hdrbuf[IPC_HDR_LEN], *frame;
	struct ipc_hdr h;
	size_t avail, n;
	int r;

	for (;;) {
		avail = evbuffer_get_length(in);
		n = avail < IPC_HDR_LEN ? avail : IPC_HDR_LEN;
		evbuffer_copyout(in, hdrbuf, n);
		if ((r = ipc_frame_take(hdrbuf, avail, &h)) == -1) {
			log_warnx("connection %llu: bad frame header; dropping",
			    (unsigned long long)ac->ac_serial);
			aconn_free(ac);
			return;
		}
		if (avail < IPC_HDR_LEN)
			return;
		/* The permit table sees the header before the body is
		 * buffered: a request authd does not serve, or one larger
		 * than its type allows, is never read. */
		if (dispatch_permit(&h) == -1) {
			log_warnx("connection %llu: refused %s frame of %u "
			          "bytes; dropping",
			    (unsigned long long)ac->ac_serial,
			    ipc_type_name(h.ih_type), (unsigned)h.ih_len);
			aconn_free(ac);
			return;
		}
		if (r == 0) {
			/* Wake us only when the whole frame is here. */
			bufferevent_setwatermark(
			    bev, EV_READ, IPC_HDR_LEN + (size_t)h.ih_len, 0);
			return;
		}
		bufferevent_setwatermark(bev, EV_READ, 0, 0);
		if ((frame = evbuffer_pullup(in, IPC_HDR_LEN + h.ih_len)) ==
		    NULL) {
			aconn_free(ac);
			return;
		}
		if (dispatch_frame(ac, &h, frame + IPC_HDR_LEN) == -1) {
			log_warnx("connection %llu: refused %s frame; dropping",
			    (unsigned long long)ac->ac_serial,
			    ipc_type_name(h.ih_type));
			aconn_free(ac);
			return;
		}
		evbuffer_drain(in, IPC_HDR_LEN + h.ih_len);
	}
}

static void
aconn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		aconn_free(arg);
}

static void
server_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct authd *ad = arg;
	struct aconn *ac = NULL;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	(void)l;
	(void)sa;
	(void)salen;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("%s: SO_PEERCRED", __func__);
		goto drop;
	}
	if (cred.uid != ad->ad_peer_uid) {
		log_warnx("refused connection from uid %u pid %d (only uid %u "
		          "may connect)",
		    (unsigned)cred.uid, (int)cred.pid,
		    (unsigned)ad->ad_peer_uid);
		goto drop;
	}
	if (ad->ad_nconns >= AUTHD_MAX_CONNS) {
		log_warnx(
		    "too many connections; refusing pid %d", (int)cred.pid);
		goto drop;
	}
	if ((ac = calloc(1, sizeof(*ac))) == NULL)
		goto drop;
	if ((ac->ac_bev = bufferevent_socket_new(
	         ad->ad_base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(ac);
		goto drop;
	}
	ac->ac_authd = ad;
	ac->ac_serial = ++ad->ad_conn_serial;
	ac->ac_uid = cred.uid;
	ac->ac_pid = cred.pid;
	TAILQ_INSERT_TAIL(&ad->ad_conns, ac, ac_entry);
	ad->ad_nconns++;
	bufferevent_setcb(ac->ac_bev, aconn_read, NULL, aconn_event, ac);
	bufferevent_enable(ac->ac_bev, EV_READ | EV_WRITE);
	log_debug("connection %llu from pid %d",
	    (unsigned long long)ac->ac_serial, (int)cred.pid);
	return;
drop:
	close(fd);
}

/* Gives the socket to group (a name or a number), mode 0660. */
static int
socket_share(const char *path, const char *group)
{
	struct group *gr;
	char *end;
	unsigned long v;
	gid_t gid;

	if ((gr = getgrnam(group)) != NULL)
		gid = gr->gr_gid;
	else {
		errno = 0;
		v = strtoul(group, &end, 10);
		if (group[0] < '0' || group[0] > '9' || errno != 0 ||
		    *end != '\0' || v >= (gid_t)-1) {
			log_warnx("socket_group: no such group \"%s\"", group);
			return -1;
		}
		gid = (gid_t)v;
	}
	if (chown(path, (uid_t)-1, gid) == -1) {
		log_warn("socket_group: chown %s to group %u (is authd in "
		         "that group?)",
		    path, (unsigned)gid);
		return -1;
	}
	if (chmod(path, 0660) == -1) {
		log_warn("socket_group: chmod %s", path);
		return -1;
	}
	return 0;
}

int
server_listen(struct authd *ad)
{
	struct sockaddr_un sun;
	struct stat st;
	const char *path = ad->ad_cf.cf_socket;
	mode_t old;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("socket path too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	/* A stale socket from a crash is removed; anything else is left. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("%s exists and is not a socket", path);
			return -1;
		}
		if (unlink(path) == -1) {
			log_warn("unlink %s", path);
			return -1;
		}
	}
	old = umask(0177);
	ad->ad_listener = evconnlistener_new_bind(ad->ad_base, server_accept,
	    ad, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64,
	    (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (ad->ad_listener == NULL) {
		log_warn("cannot listen on %s", path);
		return -1;
	}
	/* The peer uid must be able to connect; SO_PEERCRED does the rest. */
	if (geteuid() == 0 && ad->ad_peer_uid != 0 &&
	    chown(path, ad->ad_peer_uid, (gid_t)-1) == -1) {
		log_warn("chown %s", path);
		return -1;
	}
	/* Without root, a group shared with the gateway opens the door
	 * instead: any owner may give its file to a group it belongs to. */
	if (ad->ad_cf.cf_socket_group[0] != '\0' &&
	    socket_share(path, ad->ad_cf.cf_socket_group) == -1)
		return -1;
	log_info("listening on %s for uid %u", path, (unsigned)ad->ad_peer_uid);
	return 0;
}

void
server_close(struct authd *ad)
{
	struct aconn *ac;

	if (ad->ad_listener != NULL) {
		evconnlistener_free(ad->ad_listener);
		ad->ad_listener = NULL;
		(void)unlink(ad->ad_cf.cf_socket);
	}
	while ((ac = TAILQ_FIRST(&ad->ad_conns)) != NULL)
		aconn_free(ac);
}
