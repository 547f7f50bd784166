/*
 * fw.c - the client's nftables table over libnftnl + libmnl (see fw.h for
 * the ruleset).
 *
 * One NETLINK_NETFILTER socket is opened by sys_fw_open and kept until
 * sys_fw_close: it creates the table with NFT_TABLE_F_OWNER, which ties
 * the table to this socket's port id (the kernel refuses changes from any
 * other socket with EPERM, skips it in `nft flush ruleset`, and deletes it
 * when the socket is released).  Changes are nfnetlink batches
 * (NFNL_MSG_BATCH_BEGIN ... NFNL_MSG_BATCH_END), which the kernel applies
 * all or nothing:
 *
 *	sys_fw_open		NEWTABLE (CREATE|EXCL, flags owner), four
 *				NEWOBJ counters, four NEWCHAINs, the rules of
 *				input, forward and edge
 *	sys_fw_set_grants	DELRULE on chain grants (flush), NEWRULE per
 *				grant
 *
 * Every message of a batch carries NLM_F_ACK, so the kernel answers each
 * with an NLMSG_ERROR (0 = fine), in order, after the whole batch has been
 * processed; an error on the BEGIN message itself (no CAP_NET_ADMIN, out
 * of memory) or on the last one ends the wait.  The first failing message
 * names what failed.  NETLINK_CAP_ACK keeps those answers short.
 *
 * sys_fw_verify reads back over a second, short-lived socket (a dump from
 * the owner socket would prove nothing about what others see): table
 * present, owner flag, owner port id == ours, the four chains with their
 * hooks, and per chain the number of rules we installed.
 *
 * Netlink byte order: the kernel compares register contents as bytes.
 * The interface name is IFNAMSIZ bytes, NUL-padded (what `iifname "x"`
 * loads); socket mark and cgroup id are host-order integers (nft_socket
 * stores sk_mark as u32, cgroup_id() as u64); l4proto, nfproto and the
 * ICMPv6 type are single bytes.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include "fw.h"
#include "nl.h"
#include "weaken.h"

#define FW_FAMILY	NFPROTO_INET
#define FW_PRIO		(-10)	/* before a distribution's filter (0), after
				   conntrack (-200): ct state is known */
#define FW_SBUF		(128 * 1024)	/* batch being built */
#define FW_RBUF		(64 * 1024)	/* > the kernel's 32 KiB dump skbs */
#define FW_MSG_MAX	4096	/* room one message may take */
#define FW_MAX_MSGS	(SYS_FW_MAX_GRANTS + 64)
#define FW_TIMEOUT_S	3	/* a kernel that does not answer */

/* The chains, in the order of sys_fw.rules[]. */
enum fw_chain { FW_INPUT, FW_FORWARD, FW_EDGE, FW_GRANTS, FW_NCHAINS };
static const char *const fw_chain_name[FW_NCHAINS] = {
	"input", "forward", "edge", "grants",
};

/* Named counters, in the order of struct sys_fw_counters. */
enum fw_counter { FW_C_EDGE_DENIED, FW_C_ROUTING_HEADER, FW_C_P41_DROPPED,
	FW_C_EDGE_GRANTED, FW_C_ND_DROPPED, FW_NCOUNTERS };
static const char *const fw_counter_name[FW_NCOUNTERS] = {
	"edge_denied", "routing_header", "p41_dropped", "edge_granted",
	"nd_dropped",
};

struct sys_fw {
	struct mnl_socket	*nl;
	uint32_t		 portid;
	uint32_t		 seq;
	char			 table[NFT_TABLE_MAXNAMELEN];
	char			 ifnames[SYS_FW_MAX_IFNAMES][IFNAMSIZ];
	unsigned		 n_ifnames;
	bool			 keep_p41;
	unsigned		 rules[FW_NCHAINS];	/* as installed */
	char			*sbuf;
	char			*rbuf;
};

/* A batch under construction in fw->sbuf: what each message does, for
 * the error text. */
struct fw_batch {
	struct sys_fw	*fw;
	size_t		 off;
	uint32_t	 begin_seq;
	unsigned	 n;			/* messages after BEGIN */
	unsigned	 rules[FW_NCHAINS];	/* NEWRULEs per chain */
	const char	*what[FW_MAX_MSGS];	/* "create table", ... */
	const char	*name[FW_MAX_MSGS];
	int		 err;			/* building failed: -errno */
};

static void
fw_reason(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fw_reason(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
fw_timeout(struct mnl_socket *nl)
{
	struct timeval	 tv = { .tv_sec = FW_TIMEOUT_S };

	(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO,
	    &tv, sizeof(tv));
}

/* A bound NETLINK_NETFILTER socket (short ACKs, reason texts, timeout). */
static int
fw_socket(struct mnl_socket **out, uint32_t *portid)
{
	int	 rc;

	if ((rc = sys_nl_open(NETLINK_NETFILTER, out, portid)) == 0)
		fw_timeout(*out);
	return rc;
}

/* ---- rule building ------------------------------------------------------ */

struct fw_rule {
	struct nftnl_rule	*r;
	int			 err;
};

static struct nftnl_expr *
rb_expr(struct fw_rule *b, const char *name)
{
	struct nftnl_expr	*e;

	if (b->err != 0)
		return NULL;
	if ((e = nftnl_expr_alloc(name)) == NULL) {
		b->err = -ENOMEM;
		return NULL;
	}
	nftnl_rule_add_expr(b->r, e);
	return e;
}

/* cmp OP reg1, data */
static void
rb_cmp(struct fw_rule *b, enum nft_cmp_ops op, const void *data,
    uint32_t len)
{
	struct nftnl_expr	*e;

	if ((e = rb_expr(b, "cmp")) == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	if (nftnl_expr_set_data(e, NFTNL_EXPR_CMP_DATA, data, len) < 0)
		b->err = -ENOMEM;
}

/* meta KEY => reg1 */
static void
rb_meta(struct fw_rule *b, enum nft_meta_keys key)
{
	struct nftnl_expr	*e;

	if ((e = rb_expr(b, "meta")) == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
}

/* iifname "NAME" (exact: IFNAMSIZ bytes, NUL padded) */
static void
rb_iifname(struct fw_rule *b, const char *name)
{
	char	 buf[IFNAMSIZ];

	memset(buf, 0, sizeof(buf));
	memcpy(buf, name, strnlen(name, IFNAMSIZ - 1));
	rb_meta(b, NFT_META_IIFNAME);
	rb_cmp(b, NFT_CMP_EQ, buf, sizeof(buf));
}

/* meta KEY == one byte (nfproto, l4proto) */
static void
rb_meta_u8(struct fw_rule *b, enum nft_meta_keys key, uint8_t v)
{
	rb_meta(b, key);
	rb_cmp(b, NFT_CMP_EQ, &v, sizeof(v));
}

/* ct state & mask OP 0 */
static void
rb_ct_state(struct fw_rule *b, uint32_t mask, enum nft_cmp_ops op)
{
	struct nftnl_expr	*e;
	uint32_t		 zero = 0;

	if ((e = rb_expr(b, "ct")) == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	if ((e = rb_expr(b, "bitwise")) == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(uint32_t));
	if (nftnl_expr_set_data(e, NFTNL_EXPR_BITWISE_MASK, &mask,
	    sizeof(mask)) < 0 ||
	    nftnl_expr_set_data(e, NFTNL_EXPR_BITWISE_XOR, &zero,
	    sizeof(zero)) < 0)
		b->err = -ENOMEM;
	rb_cmp(b, op, &zero, sizeof(zero));
}

/* exthdr TYPE exists (IPv6 extension header present anywhere) */
static void
rb_exthdr_exists(struct fw_rule *b, uint8_t type)
{
	struct nftnl_expr	*e;
	uint8_t			 yes = 1;

	if ((e = rb_expr(b, "exthdr")) == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_DREG, NFT_REG_1);
	nftnl_expr_set_u8(e, NFTNL_EXPR_EXTHDR_TYPE, type);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OFFSET, 0);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_LEN, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_FLAGS, NFT_EXTHDR_F_PRESENT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OP, NFT_EXTHDR_OP_IPV6);
	rb_cmp(b, NFT_CMP_EQ, &yes, sizeof(yes));
}

/* first byte of the transport header in [from, to] */
static void
rb_th_byte_range(struct fw_rule *b, uint8_t from, uint8_t to)
{
	struct nftnl_expr	*e;

	if ((e = rb_expr(b, "payload")) == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE,
	    NFT_PAYLOAD_TRANSPORT_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 0);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 1);
	if ((e = rb_expr(b, "range")) == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, NFT_RANGE_EQ);
	if (nftnl_expr_set_data(e, NFTNL_EXPR_RANGE_FROM_DATA, &from, 1) < 0 ||
	    nftnl_expr_set_data(e, NFTNL_EXPR_RANGE_TO_DATA, &to, 1) < 0)
		b->err = -ENOMEM;
}

/* socket KEY [level L] => reg1 */
static void
rb_socket(struct fw_rule *b, enum nft_socket_keys key, uint32_t level)
{
	struct nftnl_expr	*e;

	if ((e = rb_expr(b, "socket")) == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_DREG, NFT_REG_1);
	if (key == NFT_SOCKET_CGROUPV2)
		nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_LEVEL, level);
}

/* counter name NAME (objref to a named counter) */
static void
rb_counter(struct fw_rule *b, enum fw_counter c)
{
	struct nftnl_expr	*e;

	if ((e = rb_expr(b, "objref")) == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME,
	    fw_counter_name[c]) < 0)
		b->err = -ENOMEM;
}

/* accept / drop / jump CHAIN */
static void
rb_verdict(struct fw_rule *b, int verdict, const char *chain)
{
	struct nftnl_expr	*e;

	if ((e = rb_expr(b, "immediate")) == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain != NULL &&
	    nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain) < 0)
		b->err = -ENOMEM;
}

/* ---- batches ------------------------------------------------------------ */

static void
batch_start(struct fw_batch *bt, struct sys_fw *fw)
{
	bt->fw = fw;
	bt->n = 0;
	memset(bt->rules, 0, sizeof(bt->rules));
	bt->err = 0;
	bt->begin_seq = ++fw->seq;
	nftnl_batch_begin(fw->sbuf, bt->begin_seq);
	bt->off = NLMSG_ALIGN(((struct nlmsghdr *)(void *)fw->sbuf)->nlmsg_len);
}

/* Header of the next message, or NULL (bt->err set) when full. */
static struct nlmsghdr *
batch_msg(struct fw_batch *bt, uint16_t type, uint16_t flags,
    const char *what, const char *name)
{
	struct nlmsghdr	*nlh;

	if (bt->err != 0)
		return NULL;
	if (bt->n >= FW_MAX_MSGS || bt->off + FW_MSG_MAX > FW_SBUF) {
		bt->err = -E2BIG;
		return NULL;
	}
	nlh = nftnl_nlmsg_build_hdr(bt->fw->sbuf + bt->off, type, FW_FAMILY,
	    (uint16_t)(flags | NLM_F_ACK), ++bt->fw->seq);
	bt->what[bt->n] = what;
	bt->name[bt->n] = name;
	bt->n++;
	return nlh;
}

static void
batch_done(struct fw_batch *bt, const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_len > FW_MSG_MAX) {	/* cannot happen: our rules
						   are a few hundred bytes */
		bt->err = -E2BIG;
		return;
	}
	bt->off += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* A message of type about rule b (consumed) in chain. */
static void
batch_rule_msg(struct fw_batch *bt, struct fw_rule *b, enum fw_chain chain,
    uint16_t type, uint16_t flags, const char *what)
{
	struct nlmsghdr	*nlh;

	if (b->err != 0 && bt->err == 0)
		bt->err = b->err;
	if (b->r == NULL)
		return;
	nftnl_rule_set_u32(b->r, NFTNL_RULE_FAMILY, FW_FAMILY);
	if (nftnl_rule_set_str(b->r, NFTNL_RULE_TABLE, bt->fw->table) < 0 ||
	    nftnl_rule_set_str(b->r, NFTNL_RULE_CHAIN,
	    fw_chain_name[chain]) < 0)
		bt->err = bt->err != 0 ? bt->err : -ENOMEM;
	nlh = batch_msg(bt, type, flags, what, fw_chain_name[chain]);
	if (nlh != NULL) {
		nftnl_rule_nlmsg_build_payload(nlh, b->r);
		batch_done(bt, nlh);
	}
	nftnl_rule_free(b->r);
	b->r = NULL;
}

/* Append rule b (consumed) to chain; counted for sys_fw_verify. */
static void
batch_rule(struct fw_batch *bt, struct fw_rule *b, enum fw_chain chain)
{
	batch_rule_msg(bt, b, chain, NFT_MSG_NEWRULE,
	    NLM_F_APPEND | NLM_F_CREATE, "add a rule to chain");
	bt->rules[chain]++;
}

static void
rule_new(struct fw_rule *b)
{
	b->err = 0;
	if ((b->r = nftnl_rule_alloc()) == NULL)
		b->err = -ENOMEM;
}

/* The reason for a failed message: idx, or on_begin for an error on
 * BEGIN (no CAP_NET_ADMIN, no memory: nothing ran; named after the first
 * message).  A table of that name that is someone else's gets words of
 * its own: it is left as it is. */
static void
batch_reason(const struct fw_batch *bt, unsigned idx, bool on_begin,
    int error, const char *kmsg, char *err, size_t errlen)
{
	const char	*table = bt->fw->table;
	bool		 is_table;
	char		 extra[128];

	if (on_begin || idx >= bt->n)
		idx = 0;
	is_table = strcmp(bt->what[idx], "create table inet") == 0;
	if (is_table && !on_begin && error == EPERM) {
		fw_reason(err, errlen, "nftables: table inet %s belongs to "
		    "another process (another shipwormd?); left as it is",
		    table);
		return;
	}
	if (is_table && !on_begin && error == EEXIST) {
		fw_reason(err, errlen, "nftables: table inet %s already exists "
		    "and is not ours (made with nft?); left as it is", table);
		return;
	}
	extra[0] = '\0';
	if (kmsg != NULL)
		(void)snprintf(extra, sizeof(extra), " (%s)", kmsg);
	if (is_table)
		fw_reason(err, errlen, "nftables: cannot create table inet "
		    "%s: %s%s", table, strerror(error), extra);
	else
		fw_reason(err, errlen, "nftables: cannot %s %s in table inet "
		    "%s: %s%s", bt->what[idx], bt->name[idx], table,
		    strerror(error), extra);
}

/*
 * Send the batch and collect one answer per message: 0 or the first
 * message's -errno (reason in err).
 */
static int
batch_send(struct fw_batch *bt, char *err, size_t errlen)
{
	struct sys_fw		*fw = bt->fw;
	const struct nlmsghdr	*nlh;
	const struct nlmsgerr	*e;
	uint32_t		 last_seq, seq;
	ssize_t			 got;
	int			 left, first = 0, error;
	bool			 done = false;

	if (bt->err != 0) {
		fw_reason(err, errlen, "nftables: cannot build the rules for "
		    "table inet %s: %s", fw->table, strerror(-bt->err));
		return bt->err;
	}
	if (bt->n == 0)
		return 0;
	last_seq = bt->begin_seq + bt->n;
	nftnl_batch_end(fw->sbuf + bt->off, last_seq + 1);
	bt->off += NLMSG_ALIGN(
	    ((struct nlmsghdr *)(void *)(fw->sbuf + bt->off))->nlmsg_len);
	fw->seq = last_seq + 1;

	if (mnl_socket_sendto(fw->nl, fw->sbuf, bt->off) == -1) {
		error = errno;
		fw_reason(err, errlen, "nftables: cannot send to the kernel: %s",
		    strerror(error));
		return -error;
	}
	while (!done) {
		got = mnl_socket_recvfrom(fw->nl, fw->rbuf, FW_RBUF);
		if (got == -1) {
			if (errno == EINTR)
				continue;
			error = errno == EAGAIN ? ETIMEDOUT : errno;
			fw_reason(err, errlen, "nftables: no answer from the "
			    "kernel: %s", strerror(error));
			return -error;
		}
		nlh = (const struct nlmsghdr *)(const void *)fw->rbuf;
		left = (int)got;
		for (; mnl_nlmsg_ok(nlh, left);
		    nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				continue;
			seq = nlh->nlmsg_seq;
			if (seq < bt->begin_seq || seq > last_seq)
				continue;	/* an older request's */
			e = mnl_nlmsg_get_payload(nlh);
			error = e->error < 0 ? -e->error : e->error;
			if (error != 0 && first == 0) {
				first = error;
				batch_reason(bt, seq - bt->begin_seq - 1,
				    seq == bt->begin_seq, error,
				    sys_nl_exterr(nlh), err, errlen);
			}
			if (seq == last_seq ||
			    (seq == bt->begin_seq && error != 0))
				done = true;
		}
	}
	return -first;
}

/* ---- open --------------------------------------------------------------- */

static void
open_table(struct fw_batch *bt)
{
	struct nftnl_table	*t;
	struct nlmsghdr		*nlh;

	if ((t = nftnl_table_alloc()) == NULL) {
		bt->err = -ENOMEM;
		return;
	}
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, FW_FAMILY);
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, bt->fw->table) < 0)
		bt->err = -ENOMEM;
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, NFT_TABLE_F_OWNER);
	nlh = batch_msg(bt, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL,
	    "create table inet", bt->fw->table);
	if (nlh != NULL) {
		nftnl_table_nlmsg_build_payload(nlh, t);
		batch_done(bt, nlh);
	}
	nftnl_table_free(t);
}

static void
open_counter(struct fw_batch *bt, enum fw_counter c)
{
	struct nftnl_obj	*o;
	struct nlmsghdr		*nlh;

	if ((o = nftnl_obj_alloc()) == NULL) {
		bt->err = -ENOMEM;
		return;
	}
	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, FW_FAMILY);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, bt->fw->table);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, fw_counter_name[c]);
	nlh = batch_msg(bt, NFT_MSG_NEWOBJ, NLM_F_CREATE | NLM_F_EXCL,
	    "add counter", fw_counter_name[c]);
	if (nlh != NULL) {
		nftnl_obj_nlmsg_build_payload(nlh, o);
		batch_done(bt, nlh);
	}
	nftnl_obj_free(o);
}

/* hook < 0: a regular chain. */
static void
open_chain(struct fw_batch *bt, enum fw_chain chain, int hook)
{
	struct nftnl_chain	*ch;
	struct nlmsghdr		*nlh;

	if ((ch = nftnl_chain_alloc()) == NULL) {
		bt->err = -ENOMEM;
		return;
	}
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, FW_FAMILY);
	if (nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, bt->fw->table) < 0 ||
	    nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME,
	    fw_chain_name[chain]) < 0)
		bt->err = -ENOMEM;
	if (hook >= 0) {
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
		nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, FW_PRIO);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
		if (nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, "filter") < 0)
			bt->err = -ENOMEM;
	}
	nlh = batch_msg(bt, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL,
	    "add chain", fw_chain_name[chain]);
	if (nlh != NULL) {
		nftnl_chain_nlmsg_build_payload(nlh, ch);
		batch_done(bt, nlh);
	}
	nftnl_chain_free(ch);
}

/* Chain input: IPv4 protocol 41 to the host dropped (first: on whatever
 * interface it comes) unless a decapsulating interface is configured (then
 * its IPv6 side is one of the ifnames, covered by edge) or the host has
 * native IPv6 (keep_p41); every tunnel interface into edge. */
static void
open_input(struct fw_batch *bt)
{
	struct sys_fw	*fw = bt->fw;
	struct fw_rule	 b;
	unsigned	 i;

	if (fw->n_ifnames == 1 && !fw->keep_p41) {
		rule_new(&b);
		rb_meta_u8(&b, NFT_META_NFPROTO, NFPROTO_IPV4);
		rb_meta_u8(&b, NFT_META_L4PROTO, IPPROTO_IPV6);
		rb_counter(&b, FW_C_P41_DROPPED);
		rb_verdict(&b, NF_DROP, NULL);
		batch_rule(bt, &b, FW_INPUT);
	}
	for (i = 0; i < fw->n_ifnames; i++) {
		rule_new(&b);
		rb_iifname(&b, fw->ifnames[i]);
		rb_verdict(&b, NFT_JUMP, fw_chain_name[FW_EDGE]);
		batch_rule(bt, &b, FW_INPUT);
	}
}

/* Chain forward: nothing new from a tunnel is routed on (a host behind
 * this one would get no edge policy at all). */
static void
open_forward(struct fw_batch *bt)
{
	struct sys_fw	*fw = bt->fw;
	struct fw_rule	 b;
	unsigned	 i;

	for (i = 0; i < fw->n_ifnames; i++) {
		rule_new(&b);
		rb_iifname(&b, fw->ifnames[i]);
		rb_ct_state(&b, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
		    NF_CT_STATE_BIT(IP_CT_RELATED), NFT_CMP_EQ);
		rb_counter(&b, FW_C_EDGE_DENIED);
		rb_verdict(&b, NF_DROP, NULL);
		batch_rule(bt, &b, FW_FORWARD);
	}
}

/* Chain edge: what may come in through a tunnel (HARD-2). */
static void
open_edge(struct fw_batch *bt)
{
	static const uint8_t	 icmp6[][2] = {	/* accepted unsolicited */
		{ 128, 129 },	/* echo request, reply (HARD-3 is the core's) */
		{ 135, 136 },	/* NS, NA */
	};
	static const uint8_t	 icmp6_weak[][2] = {	/* !TUN_RA: as before */
		{ 1, 4 }, { 128, 129 }, { 133, 136 },
	};
	/* Issue 10 item 12: a router's messages (RFC 4861 §6, §8) from the
	 * tunnel would let whoever writes into it (a compromised engine, or
	 * a peer if the core let one by) route the host's IPv6. */
	static const uint8_t	 nd_drop[][2] = {
		{ 133, 134 },	/* RS, RA */
		{ 137, 137 },	/* redirect */
	};
	struct fw_rule	 b;
	size_t		 i, n_icmp6;
	const uint8_t	 (*accept6)[2];

	/* D25, CVE-2006-6263: no routing header from a tunnel, even within
	 * an established flow (RFC 5095 deprecated type 0; nothing a Teredo
	 * host needs carries one). */
	if (SW_DEFENCE(ROUTING_HEADER)) {
		rule_new(&b);
		rb_meta_u8(&b, NFT_META_NFPROTO, NFPROTO_IPV6);
		rb_exthdr_exists(&b, IPPROTO_ROUTING);
		rb_counter(&b, FW_C_ROUTING_HEADER);
		rb_verdict(&b, NF_DROP, NULL);
		batch_rule(bt, &b, FW_EDGE);
	}
	for (i = 0; SW_DEFENCE(TUN_RA) &&
	    i < sizeof(nd_drop) / sizeof(nd_drop[0]); i++) {
		rule_new(&b);
		rb_meta_u8(&b, NFT_META_NFPROTO, NFPROTO_IPV6);
		rb_meta_u8(&b, NFT_META_L4PROTO, IPPROTO_ICMPV6);
		rb_th_byte_range(&b, nd_drop[i][0], nd_drop[i][1]);
		rb_counter(&b, FW_C_ND_DROPPED);
		rb_verdict(&b, NF_DROP, NULL);
		batch_rule(bt, &b, FW_EDGE);
	}
	/* ICMPv6 errors (types 1-4) come in only here, as related to a
	 * flow conntrack knows: an unsolicited one is dropped below. */
	rule_new(&b);
	rb_ct_state(&b, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
	    NF_CT_STATE_BIT(IP_CT_RELATED), NFT_CMP_NEQ);
	rb_verdict(&b, NF_ACCEPT, NULL);
	batch_rule(bt, &b, FW_EDGE);

	accept6 = SW_DEFENCE(TUN_RA) ? icmp6 : icmp6_weak;
	n_icmp6 = SW_DEFENCE(TUN_RA) ? sizeof(icmp6) / sizeof(icmp6[0]) :
	    sizeof(icmp6_weak) / sizeof(icmp6_weak[0]);
	for (i = 0; i < n_icmp6; i++) {
		rule_new(&b);
		rb_meta_u8(&b, NFT_META_NFPROTO, NFPROTO_IPV6);
		rb_meta_u8(&b, NFT_META_L4PROTO, IPPROTO_ICMPV6);
		rb_th_byte_range(&b, accept6[i][0], accept6[i][1]);
		rb_verdict(&b, NF_ACCEPT, NULL);
		batch_rule(bt, &b, FW_EDGE);
	}


	rule_new(&b);
	rb_verdict(&b, NFT_JUMP, fw_chain_name[FW_GRANTS]);
	batch_rule(bt, &b, FW_EDGE);

	/* Everything else new from the tunnel (CVE-2006-6265). */
	rule_new(&b);
	rb_counter(&b, FW_C_EDGE_DENIED);
	rb_verdict(&b, SW_DEFENCE(EDGE) ? NF_DROP : NF_ACCEPT, NULL);
	batch_rule(bt, &b, FW_EDGE);
}

int
sys_fw_open(struct sys_fw **out, const struct sys_fw_conf *c, char *err,
    size_t errlen)
{
	struct sys_fw	*fw;
	struct fw_batch	*bt;
	unsigned	 i;
	int		 rc;

	fw_reason(err, errlen, "nftables: ok");
	if (c->table == NULL || c->table[0] == '\0' ||
	    strlen(c->table) >= NFT_TABLE_MAXNAMELEN) {
		fw_reason(err, errlen, "nftables: bad table name");
		return -EINVAL;
	}
	if (c->n_ifnames < 1 || c->n_ifnames > SYS_FW_MAX_IFNAMES) {
		fw_reason(err, errlen, "nftables: %u interfaces for table "
		    "inet %s (1 to %d)", c->n_ifnames, c->table,
		    SYS_FW_MAX_IFNAMES);
		return -EINVAL;
	}
	for (i = 0; i < c->n_ifnames; i++) {
		if (c->ifnames[i] == NULL || c->ifnames[i][0] == '\0' ||
		    strlen(c->ifnames[i]) >= IFNAMSIZ) {
			fw_reason(err, errlen, "nftables: bad interface name "
			    "'%s' for table inet %s", c->ifnames[i] != NULL ?
			    c->ifnames[i] : "", c->table);
			return -EINVAL;
		}
	}
	if ((fw = calloc(1, sizeof(*fw))) == NULL ||
	    (fw->sbuf = malloc(FW_SBUF)) == NULL ||
	    (fw->rbuf = malloc(FW_RBUF)) == NULL ||
	    (bt = calloc(1, sizeof(*bt))) == NULL) {
		if (fw != NULL) {
			free(fw->sbuf);
			free(fw->rbuf);
		}
		free(fw);
		fw_reason(err, errlen, "nftables: out of memory");
		return -ENOMEM;
	}
	(void)snprintf(fw->table, sizeof(fw->table), "%s", c->table);
	for (i = 0; i < c->n_ifnames; i++)
		(void)snprintf(fw->ifnames[i], IFNAMSIZ, "%s", c->ifnames[i]);
	fw->n_ifnames = c->n_ifnames;
	fw->keep_p41 = c->keep_p41;

	if ((rc = fw_socket(&fw->nl, &fw->portid)) < 0) {
		fw_reason(err, errlen, "nftables: cannot open a netlink "
		    "socket: %s", strerror(-rc));
		goto fail;
	}
	fw->seq = (uint32_t)time(NULL);

	batch_start(bt, fw);
	open_table(bt);
	for (i = 0; i < FW_NCOUNTERS; i++)
		open_counter(bt, (enum fw_counter)i);
	open_chain(bt, FW_INPUT, NF_INET_LOCAL_IN);
	open_chain(bt, FW_FORWARD, NF_INET_FORWARD);
	open_chain(bt, FW_EDGE, -1);
	open_chain(bt, FW_GRANTS, -1);
	open_input(bt);
	open_forward(bt);
	open_edge(bt);
	if ((rc = batch_send(bt, err, errlen)) < 0)
		goto fail;
	memcpy(fw->rules, bt->rules, sizeof(fw->rules));
	free(bt);
	*out = fw;
	return 0;

 fail:
	free(bt);
	sys_fw_close(fw);
	return rc;
}

int
sys_fw_set_grants(struct sys_fw *fw, const struct sys_fw_cgroup *g,
    size_t n, const uint32_t *marks, size_t n_marks)
{
	struct fw_batch	*bt;
	struct fw_rule	 b;
	char		 err[160];
	size_t		 i;
	int		 rc;

	if (n + n_marks > SYS_FW_MAX_GRANTS)
		return -E2BIG;
	for (i = 0; i < n_marks; i++)
		if (marks[i] == 0)	/* every unmarked socket's */
			return -EINVAL;
	if ((bt = calloc(1, sizeof(*bt))) == NULL)
		return -ENOMEM;
	batch_start(bt, fw);
	/* Flush: DELRULE naming only the chain deletes all its rules. */
	rule_new(&b);
	batch_rule_msg(bt, &b, FW_GRANTS, NFT_MSG_DELRULE, 0, "flush chain");
	for (i = 0; i < n; i++) {
		rule_new(&b);
		rb_socket(&b, NFT_SOCKET_CGROUPV2, g[i].level);
		rb_cmp(&b, NFT_CMP_EQ, &g[i].id, sizeof(g[i].id));
		rb_counter(&b, FW_C_EDGE_GRANTED);
		rb_verdict(&b, NF_ACCEPT, NULL);
		batch_rule(bt, &b, FW_GRANTS);
	}
	/* The whole 32 bits: a mark that differs anywhere is not ours. */
	for (i = 0; i < n_marks; i++) {
		rule_new(&b);
		rb_socket(&b, NFT_SOCKET_MARK, 0);
		rb_cmp(&b, NFT_CMP_EQ, &marks[i], sizeof(marks[i]));
		rb_counter(&b, FW_C_EDGE_GRANTED);
		rb_verdict(&b, NF_ACCEPT, NULL);
		batch_rule(bt, &b, FW_GRANTS);
	}
	rc = batch_send(bt, err, sizeof(err));
	if (rc == 0)
		fw->rules[FW_GRANTS] = bt->rules[FW_GRANTS];
	free(bt);
	return rc;
}

/* ---- reading back ------------------------------------------------------- */

/* Send a request (a dump, or a get with NLM_F_ACK) on nl and feed the
 * answers to cb until NLMSG_DONE or the ACK. */
static int
fw_query(struct mnl_socket *nl, uint32_t portid, char *rbuf,
    const struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	return sys_nl_talk(nl, portid, req, rbuf, FW_RBUF, cb, data, NULL, 0);
}

struct verify_state {
	const struct sys_fw	*fw;
	bool			 table_seen;
	uint32_t		 flags, owner;
	bool			 owner_set;
	bool			 chain_seen[FW_NCHAINS];
	int			 chain_hook[FW_NCHAINS];
	unsigned		 extra_chains;
	unsigned		 rules[FW_NCHAINS];
	unsigned		 stray_rules;
	int			 err;
};

static int
chain_index(const char *name)
{
	int	 i;

	for (i = 0; i < FW_NCHAINS; i++)
		if (name != NULL && strcmp(name, fw_chain_name[i]) == 0)
			return i;
	return -1;
}

static int
verify_table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct verify_state	*vs = data;
	struct nftnl_table	*t;

	if ((t = nftnl_table_alloc()) == NULL) {
		vs->err = -ENOMEM;
		return MNL_CB_OK;
	}
	if (nftnl_table_nlmsg_parse(nlh, t) == 0 &&
	    nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY) == FW_FAMILY &&
	    strcmp(nftnl_table_get_str(t, NFTNL_TABLE_NAME),
	    vs->fw->table) == 0) {
		vs->table_seen = true;
		vs->flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
		vs->owner_set = nftnl_table_is_set(t, NFTNL_TABLE_OWNER);
		if (vs->owner_set)
			vs->owner = nftnl_table_get_u32(t, NFTNL_TABLE_OWNER);
	}
	nftnl_table_free(t);
	return MNL_CB_OK;
}

static int
verify_chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct verify_state	*vs = data;
	struct nftnl_chain	*ch;
	int			 i;

	if ((ch = nftnl_chain_alloc()) == NULL) {
		vs->err = -ENOMEM;
		return MNL_CB_OK;
	}
	if (nftnl_chain_nlmsg_parse(nlh, ch) == 0 &&
	    strcmp(nftnl_chain_get_str(ch, NFTNL_CHAIN_TABLE),
	    vs->fw->table) == 0 &&
	    nftnl_chain_get_u32(ch, NFTNL_CHAIN_FAMILY) == FW_FAMILY) {
		i = chain_index(nftnl_chain_get_str(ch, NFTNL_CHAIN_NAME));
		if (i < 0) {
			vs->extra_chains++;
		} else {
			vs->chain_seen[i] = true;
			vs->chain_hook[i] =
			    nftnl_chain_is_set(ch, NFTNL_CHAIN_HOOKNUM) ?
			    (int)nftnl_chain_get_u32(ch, NFTNL_CHAIN_HOOKNUM) :
			    -1;
		}
	}
	nftnl_chain_free(ch);
	return MNL_CB_OK;
}

static int
verify_rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct verify_state	*vs = data;
	struct nftnl_rule	*r;
	int			 i;

	if ((r = nftnl_rule_alloc()) == NULL) {
		vs->err = -ENOMEM;
		return MNL_CB_OK;
	}
	if (nftnl_rule_nlmsg_parse(nlh, r) == 0 &&
	    strcmp(nftnl_rule_get_str(r, NFTNL_RULE_TABLE),
	    vs->fw->table) == 0 &&
	    nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY) == FW_FAMILY) {
		i = chain_index(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
		if (i < 0)
			vs->stray_rules++;
		else
			vs->rules[i]++;
	}
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

int
sys_fw_verify(struct sys_fw *fw, char *err, size_t errlen)
{
	static const int	 hooks[FW_NCHAINS] = {
		NF_INET_LOCAL_IN, NF_INET_FORWARD, -1, -1,
	};
	struct verify_state	 vs;
	struct mnl_socket	*nl;
	struct nlmsghdr		*nlh;
	struct nftnl_table	*t;
	struct nftnl_chain	*ch;
	struct nftnl_rule	*r;
	char			 req[1024];
	uint32_t		 portid, seq = fw->seq + 1000;
	int			 i, rc;

	memset(&vs, 0, sizeof(vs));
	vs.fw = fw;
	if ((rc = fw_socket(&nl, &portid)) < 0) {
		fw_reason(err, errlen, "nftables: cannot open a netlink socket "
		    "to check table inet %s: %s", fw->table, strerror(-rc));
		return rc;
	}

	/* The table itself (a get: ENOENT when it is gone). */
	if ((t = nftnl_table_alloc()) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, FW_FAMILY);
	(void)nftnl_table_set_str(t, NFTNL_TABLE_NAME, fw->table);
	nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETTABLE, FW_FAMILY,
	    NLM_F_ACK, ++seq);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	rc = fw_query(nl, portid, fw->rbuf, nlh, verify_table_cb, &vs);
	if (rc == -ENOENT || (rc == 0 && !vs.table_seen)) {
		fw_reason(err, errlen, "nftables: table inet %s is gone",
		    fw->table);
		rc = -ENOENT;
		goto out;
	}
	if (rc < 0)
		goto failed;
	if (!(vs.flags & NFT_TABLE_F_OWNER)) {
		fw_reason(err, errlen, "nftables: table inet %s has no owner "
		    "flag", fw->table);
		rc = -EPERM;
		goto out;
	}
	if (!vs.owner_set || vs.owner != fw->portid) {
		fw_reason(err, errlen, "nftables: table inet %s is owned by "
		    "netlink port %u, not ours (%u)", fw->table, vs.owner,
		    fw->portid);
		rc = -EPERM;
		goto out;
	}

	/* Its chains. */
	if ((ch = nftnl_chain_alloc()) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	(void)nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, fw->table);
	nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETCHAIN, FW_FAMILY,
	    NLM_F_DUMP, ++seq);
	nftnl_chain_nlmsg_build_payload(nlh, ch);
	nftnl_chain_free(ch);
	if ((rc = fw_query(nl, portid, fw->rbuf, nlh, verify_chain_cb,
	    &vs)) < 0)
		goto failed;

	/* Its rules. */
	if ((r = nftnl_rule_alloc()) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	(void)nftnl_rule_set_str(r, NFTNL_RULE_TABLE, fw->table);
	nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETRULE, FW_FAMILY,
	    NLM_F_DUMP, ++seq);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	if ((rc = fw_query(nl, portid, fw->rbuf, nlh, verify_rule_cb,
	    &vs)) < 0)
		goto failed;
	if (vs.err != 0) {
		rc = vs.err;
		goto failed;
	}

	for (i = 0; i < FW_NCHAINS; i++) {
		if (!vs.chain_seen[i]) {
			fw_reason(err, errlen, "nftables: table inet %s has no "
			    "chain %s", fw->table, fw_chain_name[i]);
			rc = -ENOENT;
			goto out;
		}
		if (vs.chain_hook[i] != hooks[i]) {
			fw_reason(err, errlen, "nftables: chain %s of table "
			    "inet %s is on the wrong hook", fw_chain_name[i],
			    fw->table);
			rc = -EPROTO;
			goto out;
		}
		if (vs.rules[i] != fw->rules[i]) {
			fw_reason(err, errlen, "nftables: chain %s of table "
			    "inet %s has %u rules, not %u", fw_chain_name[i],
			    fw->table, vs.rules[i], fw->rules[i]);
			rc = -EPROTO;
			goto out;
		}
	}
	if (vs.extra_chains != 0 || vs.stray_rules != 0) {
		fw_reason(err, errlen, "nftables: table inet %s has %u chains "
		    "we did not make", fw->table, vs.extra_chains);
		rc = -EPROTO;
		goto out;
	}
	fw_reason(err, errlen, "nftables: table inet %s in place", fw->table);
	rc = 0;
	goto out;

 failed:
	fw_reason(err, errlen, "nftables: cannot read table inet %s: %s",
	    fw->table, strerror(-rc));
 out:
	mnl_socket_close(nl);
	return rc;
}

struct counters_state {
	const struct sys_fw	*fw;
	uint64_t		 v[FW_NCOUNTERS];
	bool			 seen[FW_NCOUNTERS];
	int			 err;
};

static int
counters_cb(const struct nlmsghdr *nlh, void *data)
{
	struct counters_state	*cs = data;
	struct nftnl_obj	*o;
	const char		*name;
	int			 i;

	if ((o = nftnl_obj_alloc()) == NULL) {
		cs->err = -ENOMEM;
		return MNL_CB_OK;
	}
	if (nftnl_obj_nlmsg_parse(nlh, o) == 0 &&
	    nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) == NFT_OBJECT_COUNTER &&
	    strcmp(nftnl_obj_get_str(o, NFTNL_OBJ_TABLE), cs->fw->table) == 0 &&
	    (name = nftnl_obj_get_str(o, NFTNL_OBJ_NAME)) != NULL) {
		for (i = 0; i < FW_NCOUNTERS; i++) {
			if (strcmp(name, fw_counter_name[i]) == 0) {
				cs->v[i] = nftnl_obj_get_u64(o,
				    NFTNL_OBJ_CTR_PKTS);
				cs->seen[i] = true;
			}
		}
	}
	nftnl_obj_free(o);
	return MNL_CB_OK;
}

int
sys_fw_counters(struct sys_fw *fw, struct sys_fw_counters *out)
{
	struct counters_state	 cs;
	struct nftnl_obj	*o;
	struct nlmsghdr		*nlh;
	char			 req[1024];
	int			 i, rc;

	memset(&cs, 0, sizeof(cs));
	cs.fw = fw;
	if ((o = nftnl_obj_alloc()) == NULL)
		return -ENOMEM;
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, fw->table);
	nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETOBJ, FW_FAMILY,
	    NLM_F_DUMP, ++fw->seq);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
	rc = fw_query(fw->nl, fw->portid, fw->rbuf, nlh, counters_cb, &cs);
	if (rc < 0)
		return rc;
	if (cs.err != 0)
		return cs.err;
	for (i = 0; i < FW_NCOUNTERS; i++)
		if (!cs.seen[i])
			return -ENOENT;
	out->edge_denied = cs.v[FW_C_EDGE_DENIED];
	out->routing_header = cs.v[FW_C_ROUTING_HEADER];
	out->p41_dropped = cs.v[FW_C_P41_DROPPED];
	out->edge_granted = cs.v[FW_C_EDGE_GRANTED];
	out->nd_dropped = cs.v[FW_C_ND_DROPPED];
	return 0;
}

void
sys_fw_close(struct sys_fw *fw)
{
	if (fw == NULL)
		return;
	if (fw->nl != NULL)
		mnl_socket_close(fw->nl);
	free(fw->sbuf);
	free(fw->rbuf);
	free(fw);
}
