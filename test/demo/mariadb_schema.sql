-- The source side of the demo: TPC-DS store_sales and store_returns in MariaDB, with the columns,
-- types and primary keys of the PostgreSQL targets (test/demo/pg_schema.sql).
CREATE DATABASE business_db;
USE business_db;

CREATE TABLE store_sales (
  ss_sold_date_sk int, ss_sold_time_sk int, ss_item_sk int NOT NULL, ss_customer_sk int,
  ss_cdemo_sk int, ss_hdemo_sk int, ss_addr_sk int, ss_store_sk int, ss_promo_sk int,
  ss_ticket_number int NOT NULL, ss_quantity int,
  ss_wholesale_cost decimal(7,2), ss_list_price decimal(7,2), ss_sales_price decimal(7,2),
  ss_ext_discount_amt decimal(7,2), ss_ext_sales_price decimal(7,2), ss_ext_wholesale_cost decimal(7,2),
  ss_ext_list_price decimal(7,2), ss_ext_tax decimal(7,2), ss_coupon_amt decimal(7,2),
  ss_net_paid decimal(7,2), ss_net_paid_inc_tax decimal(7,2), ss_net_profit decimal(7,2),
  PRIMARY KEY (ss_item_sk, ss_ticket_number)
) ENGINE=InnoDB;

CREATE TABLE store_returns (
  sr_returned_date_sk int, sr_return_time_sk int, sr_item_sk int NOT NULL, sr_customer_sk int,
  sr_cdemo_sk int, sr_hdemo_sk int, sr_addr_sk int, sr_store_sk int, sr_reason_sk int,
  sr_ticket_number int NOT NULL, sr_return_quantity int,
  sr_return_amt decimal(7,2), sr_return_tax decimal(7,2), sr_return_amt_inc_tax decimal(7,2),
  sr_fee decimal(7,2), sr_return_ship_cost decimal(7,2), sr_refunded_cash decimal(7,2),
  sr_reversed_charge decimal(7,2), sr_store_credit decimal(7,2), sr_net_loss decimal(7,2),
  PRIMARY KEY (sr_item_sk, sr_ticket_number)
) ENGINE=InnoDB;
