// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal MC146818 CMOS real-time clock at ports 0x70/0x71. It reads
 * the host's UTC time, never reports an update in progress, and keeps the
 * rest of the 128 bytes of CMOS RAM. Without it every read returns all
 * ones, the "update in progress" bit looks stuck, and a booting kernel
 * spins on it for tens of thousands of exits.
 */
#include <stdlib.h>
#include <time.h>

#include "hv.h"

#define RTC_SECONDS		0x00
#define RTC_MINUTES		0x02
#define RTC_HOURS		0x04
#define RTC_DAY_OF_WEEK		0x06
#define RTC_DAY_OF_MONTH	0x07
#define RTC_MONTH		0x08
#define RTC_YEAR		0x09
#define RTC_REG_A		0x0a
#define RTC_REG_B		0x0b
#define RTC_REG_C		0x0c
#define RTC_REG_D		0x0d
#define RTC_CENTURY		0x32

#define RTC_A_DIVIDER_32KHZ	0x26	/* 32.768 kHz base, 1024 Hz rate */
#define RTC_B_24H		0x02
#define RTC_B_BINARY		0x04
#define RTC_D_VALID		0x80
#define CMOS_INDEX_MASK		0x7f	/* bit 7 is the NMI mask */

struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t cmos[128];
};

struct rtc *rtc__create(void)
{
	struct rtc *rtc = calloc(1, sizeof(*rtc));

	if (!rtc)
		return NULL;
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->cmos[RTC_REG_A] = RTC_A_DIVIDER_32KHZ;
	rtc->cmos[RTC_REG_B] = RTC_B_24H;
	rtc->cmos[RTC_REG_D] = RTC_D_VALID;
	return rtc;
}

static uint8_t rtc_encode(const struct rtc *rtc, unsigned int v)
{
	if (rtc->cmos[RTC_REG_B] & RTC_B_BINARY)
		return v;
	return ((v / 10) << 4) | (v % 10);
}

static uint8_t rtc_read(struct rtc *rtc, uint8_t reg)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (reg) {
	case RTC_SECONDS:
		return rtc_encode(rtc, tm.tm_sec);
	case RTC_MINUTES:
		return rtc_encode(rtc, tm.tm_min);
	case RTC_HOURS:
		return rtc_encode(rtc, tm.tm_hour);
	case RTC_DAY_OF_WEEK:
		return rtc_encode(rtc, tm.tm_wday + 1);
	case RTC_DAY_OF_MONTH:
		return rtc_encode(rtc, tm.tm_mday);
	case RTC_MONTH:
		return rtc_encode(rtc, tm.tm_mon + 1);
	case RTC_YEAR:
		return rtc_encode(rtc, tm.tm_year % 100);
	case RTC_CENTURY:
		return rtc_encode(rtc, 19 + tm.tm_year / 100);
	case RTC_REG_C:
		return 0;	/* no interrupt flags: no alarm or periodic IRQ */
	default:
		return rtc->cmos[reg];
	}
}

static void rtc_write(struct rtc *rtc, uint8_t reg, uint8_t v)
{
	switch (reg) {
	case RTC_REG_A:
		rtc->cmos[reg] = v & 0x7f;	/* UIP is read-only */
		break;
	case RTC_REG_B:
		rtc->cmos[reg] = v | RTC_B_24H;	/* we only keep 24-hour time */
		break;
	case RTC_REG_C:
	case RTC_REG_D:
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		break;	/* the guest cannot set the host's clock */
	default:
		rtc->cmos[reg] = v;
	}
}

void rtc__io(struct rtc *rtc, bool data_port, bool write, uint8_t *data)
{
	pthread_mutex_lock(&rtc->lock);
	if (!data_port) {
		if (write)
			rtc->index = *data & CMOS_INDEX_MASK;
		else
			*data = 0xff;	/* the index register is write-only */
	} else if (write) {
		rtc_write(rtc, rtc->index, *data);
	} else {
		*data = rtc_read(rtc, rtc->index);
	}
	pthread_mutex_unlock(&rtc->lock);
}
