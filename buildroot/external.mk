include $(sort $(wildcard $(BR2_EXTERNAL_PAIRINGD_PATH)/package/*/*.mk))
