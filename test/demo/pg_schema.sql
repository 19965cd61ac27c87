-- The targets of the demo in PostgreSQL: the columns, types and primary keys of the MariaDB
-- tables (test/demo/mariadb_schema.sql).
CREATE TABLE public.store_sales (
  ss_sold_date_sk integer, ss_sold_time_sk integer, ss_item_sk integer NOT NULL, ss_customer_sk integer,
  ss_cdemo_sk integer, ss_hdemo_sk integer, ss_addr_sk integer, ss_store_sk integer, ss_promo_sk integer,
  ss_ticket_number integer NOT NULL, ss_quantity integer,
  ss_wholesale_cost numeric(7,2), ss_list_price numeric(7,2), ss_sales_price numeric(7,2),
  ss_ext_discount_amt numeric(7,2), ss_ext_sales_price numeric(7,2), ss_ext_wholesale_cost numeric(7,2),
  ss_ext_list_price numeric(7,2), ss_ext_tax numeric(7,2), ss_coupon_amt numeric(7,2),
  ss_net_paid numeric(7,2), ss_net_paid_inc_tax numeric(7,2), ss_net_profit numeric(7,2),
  PRIMARY KEY (ss_item_sk, ss_ticket_number)
);

CREATE TABLE public.store_returns (
  sr_returned_date_sk integer, sr_return_time_sk integer, sr_item_sk integer NOT NULL, sr_customer_sk integer,
  sr_cdemo_sk integer, sr_hdemo_sk integer, sr_addr_sk integer, sr_store_sk integer, sr_reason_sk integer,
  sr_ticket_number integer NOT NULL, sr_return_quantity integer,
  sr_return_amt numeric(7,2), sr_return_tax numeric(7,2), sr_return_amt_inc_tax numeric(7,2),
  sr_fee numeric(7,2), sr_return_ship_cost numeric(7,2), sr_refunded_cash numeric(7,2),
  sr_reversed_charge numeric(7,2), sr_store_credit numeric(7,2), sr_net_loss numeric(7,2),
  PRIMARY KEY (sr_item_sk, sr_ticket_number)
);
