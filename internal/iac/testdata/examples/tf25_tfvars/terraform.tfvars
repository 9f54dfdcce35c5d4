log_group_arn = "arn:aws:logs:us-east-1:111111111111:log-group:CT:*"
role_arn = "arn:aws:iam::111111111111:role/CT"
