print("deepstreaks: in progress")
