-- The initial rows of the demo, made in MariaDB itself from its SEQUENCE engine: deterministic
-- pseudo-random TPC-DS-like values (a few NULLs, negative profits), ten lines per ticket.
-- @SALES_ROWS@, @RETURNS_ROWS@ and @RETURNS_STEP@ (store_returns row r returns store_sales row
-- r * step) are replaced by test/demo.sh.
USE business_db;

INSERT INTO store_sales
SELECT date_sk, time_sk, item_sk, customer_sk, cdemo_sk, hdemo_sk, addr_sk, store_sk, promo_sk,
       ticket, q, wholesale, list, price,
       (list - price) * q, price * q, wholesale * q, list * q,
       price * q * tax_pct / 100, coupon,
       price * q - coupon, price * q - coupon + price * q * tax_pct / 100,
       IF(s % 101 = 0, NULL, price * q - coupon - wholesale * q)
FROM (SELECT s, ticket, q, wholesale, list, ROUND(list * (100 - (s * 13) % 50) / 100, 2) AS price,
             date_sk, time_sk, item_sk, customer_sk, cdemo_sk, hdemo_sk, addr_sk, store_sk, promo_sk,
             s % 10 AS tax_pct, IF(s % 7 = 0, ROUND(list * q / 20, 2), 0) AS coupon
      FROM (SELECT seq AS s, (seq - 1) DIV 10 + 1 AS ticket,
                   1 + (seq * 2654435761) % 100 AS q,
                   (100 + (seq * 7919) % 9900) / 100 AS wholesale,
                   ROUND((100 + (seq * 7919) % 9900) / 100 * (100 + (seq * 31) % 100) / 100, 2) AS list,
                   2450816 + (((seq - 1) DIV 10 + 1) * 37) % 1823 AS date_sk,
                   28800 + (((seq - 1) DIV 10 + 1) * 7919) % 36000 AS time_sk,
                   1 + ((((seq - 1) DIV 10 + 1) * 7) + ((seq - 1) % 10) * 1801) % 18000 AS item_sk,
                   IF(seq % 53 = 0, NULL, 1 + (((seq - 1) DIV 10 + 1) * 104729) % 100000) AS customer_sk,
                   1 + (((seq - 1) DIV 10 + 1) * 15485863) % 1920800 AS cdemo_sk,
                   1 + (((seq - 1) DIV 10 + 1) * 31) % 7200 AS hdemo_sk,
                   1 + (((seq - 1) DIV 10 + 1) * 7907) % 50000 AS addr_sk,
                   1 + (((seq - 1) DIV 10 + 1) * 5) % 12 AS store_sk,
                   IF(seq % 13 = 0, NULL, 1 + (seq * 17) % 300) AS promo_sk
            FROM seq_1_to_@SALES_ROWS@) base) priced;

INSERT INTO store_returns
SELECT date_sk, time_sk, item_sk, customer_sk, cdemo_sk, hdemo_sk, addr_sk, store_sk, reason_sk,
       ticket, q, amt, tax, amt + tax, fee, ship, refunded, reversed, credit,
       IF(r % 97 = 0, NULL, amt + tax + fee + ship - refunded - reversed - credit)
FROM (SELECT r, date_sk, time_sk, item_sk, customer_sk, cdemo_sk, hdemo_sk, addr_sk, store_sk, reason_sk,
             ticket, q, amt, ROUND(amt * (r % 10) / 100, 2) AS tax,
             ROUND(amt * (r % 3) / 100, 2) AS fee, ROUND(q * ((r * 11) % 500) / 100, 2) AS ship,
             ROUND(amt * ((r * 7) % 100) / 100, 2) AS refunded, ROUND(amt * ((r * 3) % 20) / 100, 2) AS reversed,
             ROUND(amt * ((r * 5) % 30) / 100, 2) AS credit
      FROM (SELECT seq AS r, ((seq * @RETURNS_STEP@) - 1) DIV 10 + 1 AS ticket,
                   1 + ((((seq * @RETURNS_STEP@) - 1) DIV 10 + 1) * 7 + (((seq * @RETURNS_STEP@) - 1) % 10) * 1801) % 18000 AS item_sk,
                   2450816 + (seq * 41) % 1900 AS date_sk, 28800 + (seq * 6151) % 36000 AS time_sk,
                   IF(seq % 37 = 0, NULL, 1 + (seq * 104723) % 100000) AS customer_sk,
                   1 + (seq * 15485867) % 1920800 AS cdemo_sk, 1 + (seq * 29) % 7200 AS hdemo_sk,
                   1 + (seq * 7901) % 50000 AS addr_sk, 1 + (seq * 5) % 12 AS store_sk,
                   IF(seq % 19 = 0, NULL, 1 + seq % 35) AS reason_sk,
                   1 + (seq * 7) % 10 AS q, (100 + (seq * 7927) % 49900) / 100 AS amt
            FROM seq_1_to_@RETURNS_ROWS@) base) priced;
