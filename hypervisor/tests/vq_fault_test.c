// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of pvkit-hv's test-only misbehaving devices (vq_fault.c):
 * the fault options are parsed or refused; only reads and writes that
 * reach fault-from= misbehave; bad-id returns an id outside the
 * descriptor table and bad-len a length one byte past the writable
 * buffers, and nothing else changes; no fault changes nothing; a
 * faulty device counts what it did and says so in its statistics.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "../blk_req.h"
#include "../vq_fault.h"

/* A block request chain: header, @data bytes of data, status byte. */
struct req {
	struct virtio_blk_outhdr hdr;
	uint8_t data[4 * BLK_SECTOR];
	uint8_t status;
	struct vq_chain c;
};

static void make_req(struct req *r, uint32_t type, uint64_t sector,
		     size_t data)
{
	struct vq_chain *c = &r->c;
	bool in = type == VIRTIO_BLK_T_IN;

	memset(r, 0, sizeof(*r));
	r->hdr.type = type;
	r->hdr.sector = sector;
	c->head = 5;
	c->iov[0].iov_base = &r->hdr;
	c->iov[0].iov_len = sizeof(r->hdr);
	c->iov[1].iov_base = r->data;
	c->iov[1].iov_len = data;
	c->iov[2].iov_base = &r->status;
	c->iov[2].iov_len = 1;
	c->nr_out = in ? 1 : 2;
	c->nr_in = in ? 2 : 1;
	c->out_len = sizeof(r->hdr) + (in ? 0 : data);
	c->in_len = 1 + (in ? data : 0);
}

TEST(parse_options)
{
	struct hv_fault_cfg f = { 0 };
	const char *why = NULL;

	EXPECT_EQ(0, vq_fault__parse(&f, "ro", false, &why));
	EXPECT_EQ(0, vq_fault__parse(&f, "serial=fault=bad-id", false, &why));
	EXPECT_TRUE(f.kind == HV_FAULT_NONE);
	EXPECT_EQ(1, vq_fault__parse(&f, "fault=bad-id", false, &why));
	EXPECT_TRUE(f.kind == HV_FAULT_BAD_ID);
	EXPECT_EQ(1, vq_fault__parse(&f, "fault=early-used", false, &why));
	EXPECT_TRUE(f.kind == HV_FAULT_EARLY_USED);
	EXPECT_STREQ("early-used", vq_fault__name(f.kind));
	EXPECT_EQ(1, vq_fault__parse(&f, "fault=tx-bad-id", true, &why));
	EXPECT_TRUE(f.kind == HV_FAULT_TX_BAD_ID);
	EXPECT_STREQ("tx-bad-id", vq_fault__name(f.kind));
	EXPECT_EQ(1, vq_fault__parse(&f, "fault=bad-len", false, &why));
	EXPECT_TRUE(f.kind == HV_FAULT_BAD_LEN);
	EXPECT_EQ(1, vq_fault__parse(&f, "fault-from=1024", false, &why));
	EXPECT_EQ(1024U, f.from);
	EXPECT_STREQ("bad-len", vq_fault__name(f.kind));
	EXPECT_STREQ("bad-id", vq_fault__name(HV_FAULT_BAD_ID));
	EXPECT_STREQ("none", vq_fault__name(HV_FAULT_NONE));
}

TEST(parse_refuses_bad_values)
{
	static const char * const bad[] = {
		"fault=", "fault=bad", "fault=bad-id,", "fault=BAD-ID",
		"fault=tx-bad-len", "fault=tx",
		"fault-from=", "fault-from=-1", "fault-from=12x",
		"fault-from=99999999999999999999",
	};
	struct hv_fault_cfg f = { 0 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *why = NULL;

		EXPECT_EQ(-1, vq_fault__parse(&f, bad[i], false, &why)) TH_LOG("%s", bad[i]);
		EXPECT_NE(NULL, why);
	}
	EXPECT_TRUE(f.kind == HV_FAULT_NONE);
	EXPECT_EQ(0U, f.from);
}

TEST(only_reads_and_writes_from_the_sector_misbehave)
{
	struct hv_fault_cfg f = { HV_FAULT_BAD_LEN, 1024 };
	struct req r;

	make_req(&r, VIRTIO_BLK_T_IN, 1024, BLK_SECTOR);
	EXPECT_TRUE(vq_fault__blk_applies(&f, &r.c));
	make_req(&r, VIRTIO_BLK_T_OUT, 2000, BLK_SECTOR);
	EXPECT_TRUE(vq_fault__blk_applies(&f, &r.c));
	/* sectors 1020..1023: just short of it; 1021..1024: reaches it */
	make_req(&r, VIRTIO_BLK_T_IN, 1020, 4 * BLK_SECTOR);
	EXPECT_FALSE(vq_fault__blk_applies(&f, &r.c));
	make_req(&r, VIRTIO_BLK_T_IN, 1021, 4 * BLK_SECTOR);
	EXPECT_TRUE(vq_fault__blk_applies(&f, &r.c));
	make_req(&r, VIRTIO_BLK_T_OUT, 1020, 4 * BLK_SECTOR);
	EXPECT_FALSE(vq_fault__blk_applies(&f, &r.c));
	make_req(&r, VIRTIO_BLK_T_OUT, 1021, 4 * BLK_SECTOR);
	EXPECT_TRUE(vq_fault__blk_applies(&f, &r.c));
	make_req(&r, VIRTIO_BLK_T_IN, 0, BLK_SECTOR);
	EXPECT_FALSE(vq_fault__blk_applies(&f, &r.c));
	/* no overflow near the top of the sector space */
	make_req(&r, VIRTIO_BLK_T_IN, UINT64_MAX, BLK_SECTOR);
	EXPECT_TRUE(vq_fault__blk_applies(&f, &r.c));
	/* the serial and flushes never misbehave, wherever they say */
	make_req(&r, VIRTIO_BLK_T_GET_ID, 4096, 20);
	EXPECT_FALSE(vq_fault__blk_applies(&f, &r.c));
	make_req(&r, VIRTIO_BLK_T_FLUSH, 4096, 0);
	EXPECT_FALSE(vq_fault__blk_applies(&f, &r.c));
	/* faults of other kinds leave reads and writes alone */
	f.kind = HV_FAULT_EARLY_USED;
	make_req(&r, VIRTIO_BLK_T_IN, 4096, BLK_SECTOR);
	EXPECT_FALSE(vq_fault__blk_applies(&f, &r.c));
	/* no fault: nothing applies */
	f.kind = HV_FAULT_NONE;
	make_req(&r, VIRTIO_BLK_T_IN, 4096, BLK_SECTOR);
	EXPECT_FALSE(vq_fault__blk_applies(&f, &r.c));
}

TEST(fault_from_zero_takes_every_read)
{
	struct hv_fault_cfg f = { HV_FAULT_BAD_ID, 0 };
	struct req r;

	make_req(&r, VIRTIO_BLK_T_IN, 0, BLK_SECTOR);
	EXPECT_TRUE(vq_fault__blk_applies(&f, &r.c));
}

TEST(bad_id_is_outside_the_table)
{
	struct hv_fault_cfg f = { HV_FAULT_BAD_ID, 0 };
	uint32_t len = 513;
	uint16_t id = 5;
	struct req r;

	make_req(&r, VIRTIO_BLK_T_IN, 0, BLK_SECTOR);
	EXPECT_TRUE(vq_fault__corrupt(&f, 256, &r.c, &id, &len));
	EXPECT_LE(256, id);
	EXPECT_EQ(256 + 5, id);
	EXPECT_EQ(513U, len);
	/* a NIC's sent frames get the same */
	f.kind = HV_FAULT_TX_BAD_ID;
	id = 5;
	EXPECT_TRUE(vq_fault__corrupt(&f, 256, &r.c, &id, &len));
	EXPECT_EQ(256 + 5, id);
	EXPECT_EQ(513U, len);
	/* no fault: nothing changes */
	f.kind = HV_FAULT_NONE;
	id = 5;
	EXPECT_FALSE(vq_fault__corrupt(&f, 256, &r.c, &id, &len));
	EXPECT_EQ(5U, id);
	EXPECT_EQ(513U, len);
}

TEST(bad_len_is_one_byte_past_the_writable_buffers)
{
	struct hv_fault_cfg f = { HV_FAULT_BAD_LEN, 0 };
	uint32_t len = 513;
	uint16_t id = 5;
	struct req r;

	make_req(&r, VIRTIO_BLK_T_IN, 0, 2 * BLK_SECTOR);
	EXPECT_TRUE(vq_fault__corrupt(&f, 256, &r.c, &id, &len));
	EXPECT_EQ(2U * BLK_SECTOR + 1 + 1, len);
	EXPECT_EQ(5U, id);
	/* a write: only the status byte is writable */
	make_req(&r, VIRTIO_BLK_T_OUT, 0, 2 * BLK_SECTOR);
	len = 1;
	EXPECT_TRUE(vq_fault__corrupt(&f, 256, &r.c, &id, &len));
	EXPECT_EQ(2U, len);
	/* a length that cannot grow stays */
	r.c.in_len = UINT32_MAX;
	len = 7;
	EXPECT_FALSE(vq_fault__corrupt(&f, 256, &r.c, &id, &len));
	EXPECT_EQ(7U, len);
}

/* What vq_fault__stats() writes for @f and @faults (free it). */
static char *stats_text(const struct hv_fault_cfg *f, const uint64_t *faults)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	if (!out)
		return NULL;
	vq_fault__stats(f, faults, out);
	fclose(out);
	return text;
}

TEST(misbehave_counts_and_reports)
{
	struct hv_fault_cfg f = { .kind = HV_FAULT_BAD_LEN };
	struct virtio_dev dev = { .name = "net7" };
	struct virtio_queue q = { .dev = &dev, .index = 0 };
	uint64_t faults = 0;
	uint32_t len = 60;
	uint16_t id = 5;
	struct req r;
	char *text;

	q.vq.size = 256;
	make_req(&r, VIRTIO_BLK_T_IN, 0, 2048);
	vq_fault__misbehave(&f, &faults, &q, &r.c, &id, &len);
	EXPECT_EQ(5U, id);
	EXPECT_EQ(r.c.in_len + 1, len);
	vq_fault__misbehave(&f, &faults, &q, &r.c, &id, &len);
	EXPECT_EQ(2U, faults);

	text = stats_text(&f, &faults);
	ASSERT_NE(NULL, text);
	EXPECT_STREQ(", \"fault\": \"bad-len\", \"faults\": 2", text);
	free(text);

	/* a device without a fault adds nothing, changes nothing */
	f.kind = HV_FAULT_NONE;
	len = 60;
	vq_fault__misbehave(&f, &faults, &q, &r.c, &id, &len);
	EXPECT_EQ(60U, len);
	EXPECT_EQ(2U, faults);
	text = stats_text(&f, &faults);
	ASSERT_NE(NULL, text);
	EXPECT_STREQ("", text);
	free(text);
}

TEST_HARNESS_MAIN
