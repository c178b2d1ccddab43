-- One database per service: no service reads another's tables.
CREATE DATABASE uitleen_inventory;
CREATE DATABASE uitleen_booking;
CREATE DATABASE uitleen_notify;
