#!/usr/bin/env python3
"""Decodes guestinfo.metadata and guestinfo.userdata the way cloud-init's VMware datasource does, with
cloud-init's own functions (DataSourceVMware.decode, load_json_or_yaml, process_metadata), so a test
proves what a vSphere guest's cloud-init will read. Input on stdin: JSON {"metadata", "metadata.encoding",
"userdata", "userdata.encoding"}; output on stdout: JSON {"metadata" (without network), "network"
(the network config cloud-init applies), "userdata" (text)}. (Test support; not shipped to guests.)"""
import json
import sys

from cloudinit.sources import DataSourceVMware as vmware

keys = json.load(sys.stdin)
metadata = vmware.process_metadata(
    vmware.load_json_or_yaml(
        vmware.decode("metadata", keys.get("metadata.encoding"), keys["metadata"])
    )
)
network = metadata.pop("network", {}).get("config")
userdata = vmware.decode("userdata", keys.get("userdata.encoding"), keys["userdata"])
json.dump({"metadata": metadata, "network": network, "userdata": userdata}, sys.stdout)
