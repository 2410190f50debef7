print("alerts: not yet")
